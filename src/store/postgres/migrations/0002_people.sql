-- People and rights. Each person logs in as a PostgreSQL login role that is a member of one group
-- role of this database: marketer, manager or admin; `skvoz serve` logs in as a member of the
-- service group. Roles are global to a PostgreSQL server, so the groups are named after this
-- database (skvoz applies this file with :"marketer", :'marketer', :"database", :"schema" … replaced
-- by the names it derived) and recorded in team_roles. GRANTs enforce the rights; nothing here
-- relies on what a window hides.

-- The catalog kept five record kinds in one table, which GRANT cannot tell apart: one table each.
CREATE TABLE statuses (id bigint PRIMARY KEY, record jsonb NOT NULL);
CREATE TABLE extra_fields (id bigint PRIMARY KEY, record jsonb NOT NULL);
CREATE TABLE lead_sources (id bigint PRIMARY KEY, record jsonb NOT NULL);
CREATE TABLE analytics_sources (id bigint PRIMARY KEY, record jsonb NOT NULL);
-- The people's records (full name, phone, e-mail), linked to their login roles by `login`.
CREATE TABLE users (id bigint PRIMARY KEY, login text UNIQUE, record jsonb NOT NULL);
INSERT INTO statuses (id, record) SELECT id, record FROM catalog WHERE kind = 'statuses';
INSERT INTO extra_fields (id, record) SELECT id, record FROM catalog WHERE kind = 'extra_fields';
INSERT INTO lead_sources (id, record) SELECT id, record FROM catalog WHERE kind = 'lead_sources';
INSERT INTO analytics_sources (id, record) SELECT id, record FROM catalog WHERE kind = 'analytics_sources';
INSERT INTO users (id, login, record)
    SELECT id, nullif(record->>'login', ''), record FROM catalog WHERE kind = 'users';
DROP TABLE catalog;

CREATE ROLE :"marketer" NOLOGIN;
CREATE ROLE :"manager" NOLOGIN;
CREATE ROLE :"admin" NOLOGIN;
CREATE ROLE :"service" NOLOGIN;

-- Which role of the team each group is; the code and the functions below read the names here.
CREATE TABLE team_roles (role text PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO team_roles (role, name) VALUES
    ('marketer', :'marketer'), ('manager', :'manager'), ('admin', :'admin'), ('service', :'service');

-- Only this database's people connect to it; nobody but the owner creates objects in it.
REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"marketer", :"manager", :"admin", :"service";
REVOKE CREATE ON SCHEMA :"schema" FROM PUBLIC;
GRANT USAGE ON SCHEMA :"schema" TO :"marketer", :"manager", :"admin", :"service";

-- Everyone who reads: the schema's version, the role names, the change feed, and what the leads
-- and the reports are made of (status and field names, the people answering for leads).
GRANT SELECT ON schema_migrations, team_roles, change_log, leads, clients, calls, facts, statuses, extra_fields, users
    TO :"marketer", :"manager", :"admin", :"service";

-- Everyone who writes records the change for the feed (the EXCLUSIVE lock needs DELETE, which also
-- lets a writer trim old rows) and takes ids from the counters.
GRANT INSERT, DELETE ON change_log TO :"manager", :"admin", :"service";
GRANT USAGE ON SEQUENCE change_log_seq_seq TO :"manager", :"admin", :"service";
GRANT SELECT, INSERT, UPDATE ON counters TO :"manager", :"admin", :"service";

-- Leads, clients, calls and templates: managers and admins create and edit; the service creates
-- leads and clients (intake) and appends comments, tasks and calls. Leads are never deleted (a
-- deleted lead is a flag), so nobody gets DELETE.
GRANT INSERT, UPDATE ON leads, clients, calls TO :"manager", :"admin", :"service";

-- Sources, fields, statuses, settings, the exchange log: managers read, admins edit.
GRANT SELECT ON settings, lead_sources, analytics_sources, exchange_log TO :"manager", :"admin", :"service";
GRANT INSERT, UPDATE, DELETE ON statuses, extra_fields, lead_sources, analytics_sources TO :"admin";
GRANT INSERT, UPDATE ON settings TO :"admin";
GRANT INSERT, DELETE ON exchange_log TO :"admin", :"service";
-- The catalog's writers serialize on the lock row (new fields' names must not collide).
GRANT SELECT, UPDATE ON schema_lock TO :"admin", :"service";

-- The service: the analytics load writes facts and its state on the analytics source; the first
-- request from Roistat creates the service fields and the default statuses where missing.
GRANT INSERT, DELETE ON facts TO :"service";
GRANT UPDATE ON analytics_sources TO :"service";
GRANT INSERT ON statuses, extra_fields TO :"service";

-- People: admins manage them only through these functions. They run with the rights of the
-- database owner (who may create roles) and touch only logins that are people of this database,
-- so an admin needs no CREATEROLE (which would reach every role on the server). Passwords arrive
-- as SCRAM verifiers computed by skvoz, never as clear text.
GRANT INSERT, UPDATE, DELETE ON users TO :"admin";

CREATE FUNCTION skvoz_group(team_role text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT name FROM :"schema".team_roles WHERE role = team_role
$$;

CREATE FUNCTION skvoz_check_person(login text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_auth_members m
        JOIN pg_roles p ON p.oid = m.member
        JOIN pg_roles g ON g.oid = m.roleid
        JOIN :"schema".team_roles t ON t.name = g.rolname
        WHERE p.rolname = login
            -- Never a login that holds more than a person's rights (the owner in a group, say).
            AND NOT (p.rolsuper OR p.rolcreaterole OR p.rolcreatedb OR p.rolreplication OR p.rolbypassrls)
            AND p.oid <> (SELECT datdba FROM pg_database WHERE datname = current_database())
    ) THEN
        RAISE EXCEPTION 'skvoz: % is not a person of this database', login USING ERRCODE = '42704';
    END IF;
END
$$;

CREATE FUNCTION skvoz_add_person(login text, team_role text, verifier text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grp text := :"schema".skvoz_group(team_role);
BEGIN
    IF grp IS NULL THEN
        RAISE EXCEPTION 'skvoz: unknown role %', team_role USING ERRCODE = '22023';
    END IF;
    IF login !~ '^[a-z][a-z0-9_.-]{0,62}$' OR login LIKE 'pg\_%' OR login LIKE 'skvoz\_%' THEN
        RAISE EXCEPTION 'skvoz: login % is not allowed', login USING ERRCODE = '22023';
    END IF;
    IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'skvoz: a SCRAM verifier is required' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
        RAISE EXCEPTION 'skvoz: role % already exists', login USING ERRCODE = '42710';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', login, verifier);
    EXECUTE format('GRANT %I TO %I', grp, login);
END
$$;

CREATE FUNCTION skvoz_set_person_role(login text, team_role text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grp text := :"schema".skvoz_group(team_role);
    old text;
BEGIN
    IF grp IS NULL THEN
        RAISE EXCEPTION 'skvoz: unknown role %', team_role USING ERRCODE = '22023';
    END IF;
    PERFORM :"schema".skvoz_check_person(login);
    FOR old IN SELECT g.rolname FROM pg_auth_members m
        JOIN pg_roles p ON p.oid = m.member
        JOIN pg_roles g ON g.oid = m.roleid
        JOIN :"schema".team_roles t ON t.name = g.rolname
        WHERE p.rolname = login
    LOOP
        EXECUTE format('REVOKE %I FROM %I', old, login);
    END LOOP;
    EXECUTE format('GRANT %I TO %I', grp, login);
END
$$;

CREATE FUNCTION skvoz_set_person_password(login text, verifier text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'skvoz: a SCRAM verifier is required' USING ERRCODE = '22023';
    END IF;
    PERFORM :"schema".skvoz_check_person(login);
    EXECUTE format('ALTER ROLE %I PASSWORD %L', login, verifier);
END
$$;

CREATE FUNCTION skvoz_set_person_login(login text, enabled boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM :"schema".skvoz_check_person(login);
    IF enabled THEN
        EXECUTE format('ALTER ROLE %I LOGIN', login);
    ELSE
        EXECUTE format('ALTER ROLE %I NOLOGIN', login);
    END IF;
END
$$;

REVOKE EXECUTE ON FUNCTION skvoz_add_person(text, text, text), skvoz_set_person_role(text, text),
    skvoz_set_person_password(text, text), skvoz_set_person_login(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION skvoz_add_person(text, text, text), skvoz_set_person_role(text, text),
    skvoz_set_person_password(text, text), skvoz_set_person_login(text, boolean) TO :"admin";
