-- Sums of the daily facts kept beside them, so that a report sums a few thousand rows instead of every
-- fact of its period: per analytics source, month and marker path (with the path's first day in that
-- month, which orders the paths and chooses their titles), and per analytics source, day and channel
-- (the dashboard's charts). They are derived data: `replace_facts` and `restore` rewrite the rows of
-- what they changed in their own transaction, and a backup does not carry them. Per analytics source,
-- so that two sources loaded at once never write the same row; loads of one source take turns on its
-- row in fact_loads (an upsert, not an advisory lock), so each rewrites the sums from the facts the
-- one before it committed.
CREATE TABLE fact_month_sums (
    analytics_source_id bigint NOT NULL,
    month date NOT NULL,
    channel text NOT NULL,
    source text NOT NULL,
    campaign text NOT NULL,
    first_day date NOT NULL,
    visits bigint NOT NULL,
    leads bigint NOT NULL,
    sales bigint NOT NULL,
    revenue bigint NOT NULL,
    cost bigint NOT NULL,
    calls bigint NOT NULL,
    PRIMARY KEY (month, analytics_source_id, channel, source, campaign)
);

CREATE TABLE fact_channel_days (
    analytics_source_id bigint NOT NULL,
    day date NOT NULL,
    channel text NOT NULL,
    visits bigint NOT NULL,
    leads bigint NOT NULL,
    sales bigint NOT NULL,
    revenue bigint NOT NULL,
    cost bigint NOT NULL,
    calls bigint NOT NULL,
    PRIMARY KEY (day, analytics_source_id, channel)
);

CREATE TABLE fact_loads (analytics_source_id bigint PRIMARY KEY);

INSERT INTO fact_month_sums
SELECT analytics_source_id, date_trunc('month', day::timestamp)::date, channel, source, campaign, min(day),
       sum(visits), sum(leads), sum(sales), sum(revenue), sum(cost), sum(calls)
FROM facts GROUP BY 1, 2, 3, 4, 5;

INSERT INTO fact_channel_days
SELECT analytics_source_id, day, channel, sum(visits), sum(leads), sum(sales), sum(revenue), sum(cost), sum(calls)
FROM facts GROUP BY 1, 2, 3;

-- As the facts: everyone reads them, the service (the analytics load) writes them.
GRANT SELECT ON fact_month_sums, fact_channel_days TO :"marketer", :"manager", :"admin", :"service";
GRANT INSERT, DELETE ON fact_month_sums, fact_channel_days TO :"service";
GRANT SELECT, INSERT, UPDATE ON fact_loads TO :"service";
