-- schema-mysql.sql - the sample user database of sasldir's sql
-- directory, for MariaDB and MySQL (mariadb mail < schema-mysql.sql).
-- The layout is Stalwart's documented one, plus app_passwords to show
-- a principal with several secrets (one row per secret), and
-- scram_credentials for sasldir's columns.scram (SCRAM-SHA-* without a
-- plaintext password: RFC 5803 authPassword values, one row each).
CREATE TABLE accounts (
    name VARCHAR(255) PRIMARY KEY,
    secret VARCHAR(1024),
    description VARCHAR(1024),
    type VARCHAR(32) NOT NULL,      -- individual, group or admin
    quota BIGINT DEFAULT NULL,      -- bytes; NULL = none of its own
    active BOOLEAN NOT NULL DEFAULT TRUE
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE app_passwords (
    name VARCHAR(255) NOT NULL,
    secret VARCHAR(1024) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE scram_credentials (
    name VARCHAR(255) NOT NULL,
    value VARCHAR(1024) NOT NULL               -- SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE group_members (
    name VARCHAR(255) NOT NULL,
    member_of VARCHAR(255) NOT NULL,
    PRIMARY KEY (name, member_of)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE emails (
    name VARCHAR(255) NOT NULL,
    address VARCHAR(255) NOT NULL,
    type VARCHAR(32),               -- primary, alias or list
    PRIMARY KEY (name, address),
    INDEX (address)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
