-- Roles and database of the platform, for the postgres image in docker-compose.yml.
-- The native stack creates the same in infra/stack/postgres.py (ensure_roles_and_database).
-- Development passwords only.
CREATE ROLE msc_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD 'msc-dev-owner';
CREATE ROLE msc_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD 'msc-dev-app';
-- The outbox relay reads every tenant's outbox rows; the outbox migration grants it that table only.
CREATE ROLE msc_relay LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS PASSWORD 'msc-dev-relay';
CREATE DATABASE msc OWNER msc_owner ENCODING 'UTF8';
REVOKE ALL ON DATABASE msc FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE msc TO msc_app;
GRANT CONNECT ON DATABASE msc TO msc_relay;
\connect msc
ALTER SCHEMA public OWNER TO msc_owner;
-- The client search's functions, so that its trigram indexes are used under row-level security
-- (see LEAKPROOF_FUNCTIONS in infra/stack/postgres.py for why this is safe here).
ALTER FUNCTION pg_catalog.textlike(text, text) LEAKPROOF;
ALTER FUNCTION pg_catalog.replace(text, text, text) LEAKPROOF;
ALTER FUNCTION pg_catalog.regexp_replace(text, text, text, text) LEAKPROOF;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO msc_app, msc_relay;
ALTER DEFAULT PRIVILEGES FOR ROLE msc_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO msc_app;
ALTER DEFAULT PRIVILEGES FOR ROLE msc_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO msc_app;
