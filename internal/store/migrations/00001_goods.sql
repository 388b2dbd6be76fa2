-- The goods of every tenant, in one table. Every key begins with tenant_id,
-- so the table can be distributed by tenant without changing a query, and
-- row-level security keeps each tenant to its own rows.

-- +goose Up

-- tenantgraph_app is the role requests run as (SET LOCAL ROLE in each
-- transaction). It must stay NOLOGIN, NOSUPERUSER and NOBYPASSRLS, and must
-- not own goods: Postgres does not apply row-level security to superusers
-- or to roles with BYPASSRLS. Roles are cluster-wide while this migration
-- runs once per database, so another database's migration may create it at
-- the same time: that race is not an error.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tenantgraph_app') THEN
        CREATE ROLE tenantgraph_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;
-- +goose StatementEnd

-- The role the gateway connects as must be able to SET ROLE tenantgraph_app.
-- Superusers can; any other role is made a member.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'tenantgraph_app', 'MEMBER') THEN
        EXECUTE format('GRANT tenantgraph_app TO %I', current_user);
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;
-- +goose StatementEnd

CREATE TABLE goods (
    tenant_id   text NOT NULL CHECK (tenant_id <> ''),
    id          uuid NOT NULL,
    name        text NOT NULL,
    price       double precision NOT NULL,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Values of the tenant's extension fields, keyed by field name.
    ext         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(ext) = 'object'),
    PRIMARY KEY (tenant_id, id)
);

-- One index per sort order, each ending with the id tiebreaker of keyset
-- pagination. Names sort in byte order (COLLATE "C"), as Go compares strings.
CREATE INDEX goods_tenant_name_idx ON goods (tenant_id, name COLLATE "C", id);
CREATE INDEX goods_tenant_price_idx ON goods (tenant_id, price, id);
CREATE INDEX goods_tenant_created_at_idx ON goods (tenant_id, created_at, id);
CREATE INDEX goods_tenant_updated_at_idx ON goods (tenant_id, updated_at, id);

-- updated_at is the time of the last update, and strictly increases with
-- each update even if two fall within one microsecond.
-- +goose StatementBegin
CREATE FUNCTION goods_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := greatest(now(), OLD.updated_at + interval '1 microsecond');
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER goods_set_updated_at
    BEFORE UPDATE ON goods
    FOR EACH ROW EXECUTE FUNCTION goods_set_updated_at();

-- FORCE applies the policy to the table owner as well. A session that has
-- not set app.tenant_id sees no rows and can write none.
ALTER TABLE goods ENABLE ROW LEVEL SECURITY;
ALTER TABLE goods FORCE ROW LEVEL SECURITY;
CREATE POLICY goods_tenant_isolation ON goods
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON goods TO tenantgraph_app;

-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tenantgraph_app', current_schema());
END
$$;
-- +goose StatementEnd

-- +goose Down

-- The role stays: other databases of the cluster may use it.
DROP TABLE goods;
DROP FUNCTION goods_set_updated_at();
