-- Users, groups and memberships of one tenant. Runs with search_path set to the tenant's schema,
-- one statement per round trip (Citus rejects CREATE INDEX in multi-statement strings).
CREATE TABLE users (
    id               uuid PRIMARY KEY,
    provider_id      uuid NOT NULL,
    user_name        text NOT NULL,
    user_name_key    text NOT NULL,
    external_id      text,
    display_name_key text,
    resource         jsonb NOT NULL,
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_user_name_key_idx ON users (user_name_key);
CREATE INDEX users_provider_idx ON users (provider_id, created_at, id);
CREATE INDEX users_external_id_idx ON users (provider_id, external_id);
CREATE TABLE user_emails (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type_key  text,
    value_key text NOT NULL
);
CREATE INDEX user_emails_value_idx ON user_emails (value_key);
CREATE INDEX user_emails_user_idx ON user_emails (user_id);
CREATE TABLE groups (
    id               uuid PRIMARY KEY,
    provider_id      uuid NOT NULL,
    display_name     text NOT NULL,
    display_name_key text NOT NULL,
    external_id      text,
    resource         jsonb NOT NULL,
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_provider_idx ON groups (provider_id, created_at, id);
CREATE INDEX groups_display_name_idx ON groups (provider_id, display_name_key);
CREATE INDEX groups_external_id_idx ON groups (provider_id, external_id);
CREATE TABLE group_members (
    group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   uuid NOT NULL,
    member_type text NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member_idx ON group_members (member_id);
