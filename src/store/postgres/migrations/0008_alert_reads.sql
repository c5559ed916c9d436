-- What the alert rules read, for every role, so that a marketer's bell shows what an admin's does.
-- A view reads its tables with its owner's rights and shows only what is here: the rules and
-- working hours without the delivery channels (their passwords and tokens), the analytics
-- sources' load state without their API keys, and of the exchange log only when which request
-- ended how (its parameters hold clients' phones).
CREATE VIEW alert_rules AS
    SELECT jsonb_build_object('rules', record -> 'rules', 'working_hours', record -> 'working_hours') AS record
    FROM settings WHERE key = 'settings/alerts';

CREATE VIEW analytics_load_states AS
    SELECT id, jsonb_build_object(
        'id', record -> 'id', 'name', record -> 'name', 'enabled', record -> 'enabled',
        'last_start', record -> 'last_start', 'last_success', record -> 'last_success',
        'last_error', record -> 'last_error') AS record
    FROM analytics_sources;

CREATE VIEW exchange_outcomes AS
    SELECT id, record -> 'at' AS at, record ->> 'outcome' AS outcome FROM exchange_log;

GRANT SELECT ON alert_rules, analytics_load_states, exchange_outcomes TO :"marketer", :"manager", :"admin", :"service";
