-- schema-sqlite.sql - the sample user database of sasldir's sql
-- directory, for SQLite (sqlite3 directory.db < schema-sqlite.sql).
-- The layout is Stalwart's documented one, plus app_passwords to show
-- a principal with several secrets (one row per secret), and
-- scram_credentials for sasldir's columns.scram (SCRAM-SHA-* without a
-- plaintext password: RFC 5803 authPassword values, one row each).
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    secret TEXT,
    description TEXT,
    type TEXT NOT NULL,             -- individual, group or admin
    quota INTEGER DEFAULT NULL,     -- bytes; NULL = none of its own
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE app_passwords (
    name TEXT NOT NULL REFERENCES accounts (name),
    secret TEXT NOT NULL
);
CREATE TABLE scram_credentials (
    name TEXT NOT NULL REFERENCES accounts (name),
    value TEXT NOT NULL               -- SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>
);
CREATE TABLE group_members (
    name TEXT NOT NULL,
    member_of TEXT NOT NULL,
    PRIMARY KEY (name, member_of)
);
CREATE TABLE emails (
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    type TEXT,                      -- primary, alias or list
    PRIMARY KEY (name, address)
);
CREATE INDEX emails_address ON emails (address);
