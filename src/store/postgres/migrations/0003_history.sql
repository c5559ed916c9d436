-- «История изменений»: who changed what, when and from where, written by skvoz in the transaction
-- of the change. The entry is kept whole as jsonb beside the columns its queries need.
CREATE TABLE history (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    object_id bigint NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX history_by_object ON history (kind, object_id, id);
CREATE INDEX history_by_time ON history (at);

-- Everyone who reads leads reads their history; everyone who writes records what they wrote.
-- Nobody updates or deletes an entry.
GRANT SELECT ON history TO :"marketer", :"manager", :"admin", :"service";
GRANT INSERT ON history TO :"manager", :"admin", :"service";
GRANT USAGE ON SEQUENCE history_id_seq TO :"manager", :"admin", :"service";
