-- The alerts already sent, by key, so that a restarted `skvoz serve` does not send them again.
-- Its own table: the service role sends alerts, and the settings are the admins' to write.
CREATE TABLE alerts_sent (
    key text PRIMARY KEY,
    sent_at timestamptz NOT NULL
);

GRANT SELECT ON alerts_sent TO :"marketer", :"manager", :"admin", :"service";
GRANT INSERT, DELETE ON alerts_sent TO :"admin", :"service";
