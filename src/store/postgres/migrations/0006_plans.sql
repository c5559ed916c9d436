-- Monthly plans per channel (План продаж): one row per month (`2026-12`) and channel key, the
-- plan kept whole as jsonb.
CREATE TABLE plans (
    month text NOT NULL,
    channel text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (month, channel)
);

-- Everyone reads plans (the plan / fact view); marketers and admins set them. A marketer who sets
-- a plan records the change for the feed and the history, like every other writer.
GRANT SELECT ON plans TO :"marketer", :"manager", :"admin", :"service";
GRANT INSERT, UPDATE, DELETE ON plans TO :"marketer", :"admin";
GRANT INSERT ON history TO :"marketer";
GRANT USAGE ON SEQUENCE history_id_seq TO :"marketer";
GRANT INSERT, DELETE ON change_log TO :"marketer";
GRANT USAGE ON SEQUENCE change_log_seq_seq TO :"marketer";
