-- The first schema of a skvoz team database. Records are kept whole as jsonb (the same JSON the
-- embedded store keeps), with the columns that queries, uniqueness and ordering need beside them.
-- Portable: sequences are counters rows, uniqueness is constraints, no triggers, no advisory locks.

CREATE TABLE counters (
    name text PRIMARY KEY,
    next bigint NOT NULL
);

CREATE TABLE settings (
    key text PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE catalog (
    kind text NOT NULL,
    id bigint NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE clients (
    id bigint PRIMARY KEY,
    phone_key text,
    email_key text,
    record jsonb NOT NULL
);
CREATE UNIQUE INDEX clients_by_phone ON clients (phone_key) WHERE phone_key IS NOT NULL;
CREATE UNIQUE INDEX clients_by_email ON clients (email_key) WHERE email_key IS NOT NULL;

CREATE TABLE leads (
    id bigint PRIMARY KEY,
    number bigint NOT NULL UNIQUE,
    roistat_lead_id text UNIQUE,
    created timestamptz NOT NULL,
    updated timestamptz NOT NULL,
    is_template boolean NOT NULL,
    deleted boolean NOT NULL,
    status_id bigint,
    version bigint NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX leads_by_created ON leads (created, id);
CREATE INDEX leads_by_updated ON leads (updated, id);
CREATE INDEX leads_by_status ON leads (status_id);

CREATE TABLE calls (
    id bigint PRIMARY KEY,
    roistat_call_id text UNIQUE,
    lead_id bigint,
    record jsonb NOT NULL
);

CREATE TABLE facts (
    analytics_source_id bigint NOT NULL,
    day date NOT NULL,
    channel text NOT NULL,
    channel_title text NOT NULL,
    source text NOT NULL,
    source_title text NOT NULL,
    campaign text NOT NULL,
    campaign_title text NOT NULL,
    visits bigint NOT NULL,
    leads bigint NOT NULL,
    sales bigint NOT NULL,
    revenue bigint NOT NULL,
    cost bigint NOT NULL,
    calls bigint NOT NULL
);
CREATE INDEX facts_by_day ON facts (day, analytics_source_id);

CREATE TABLE exchange_log (
    id bigint PRIMARY KEY,
    bytes bigint NOT NULL,
    record jsonb NOT NULL
);

-- What changed, for every process's change feed; NOTIFY only wakes the readers up.
CREATE TABLE change_log (
    seq bigserial PRIMARY KEY,
    kind text NOT NULL,
    ids bigint[] NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL DEFAULT now()
);
