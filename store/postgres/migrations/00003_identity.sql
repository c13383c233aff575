-- +goose Up
-- Console secrets (token signing keys), sealed with the store's key.
CREATE TABLE console_secret (
    name  text  PRIMARY KEY,
    value bytea NOT NULL
);

-- When each service account last used a token.
CREATE TABLE service_account_access (
    id          text   PRIMARY KEY,
    accessed_at bigint NOT NULL
);

-- Users who signed in: who the console can offer when granting roles.
CREATE TABLE known_user (
    id      text   PRIMARY KEY,
    email   text   NOT NULL,
    name    text   NOT NULL,
    groups  text   NOT NULL,
    seen_at bigint NOT NULL
);

-- +goose Down
DROP TABLE known_user;
DROP TABLE service_account_access;
DROP TABLE console_secret;
