-- data.sql - the sample principals, the same as conf/memory.toml's
-- memory directory, for every engine (plain SQL that SQLite, MariaDB
-- and PostgreSQL all accept).  Never use these passwords for real:
--   alice       wonderland    (yescrypt)  and the app password
--               apple-pie-77  (sha512-crypt, openssl passwd -6)
--   bob         builder       (sha512-crypt, mkpasswd -m sha-512), and
--               SCRAM-SHA-1 and SCRAM-SHA-256 credentials of it
--               (doveadm pw -s SCRAM-SHA-*, as RFC 5803 authPassword)
--   carol       carol pass 42 (bcrypt, mkpasswd -m bcrypt)
--   postmaster  postmaster!   ({SSHA512})
--   dave        (inactive: the name query does not find him)
INSERT INTO accounts (name, secret, description, type, quota, active) VALUES
 ('alice', '$y$j9T$luGa9skz/lw1c40s9NwT11$MK8o8xGQGhMijI4WPu3iCb4IZQDUzy8AtKHGFqgZFw0', 'Alice Liddell', 'individual', NULL, TRUE),
 ('bob', '$6$eXnIoV729dPFCE/l$l2UKVT5Ok5vVciToqTkiNHOLmZPEqY4dTnsv/0usv5PuX28VYG18I2jDFOwMbf88/sPdWQj1wS/A5bJxg7lTG0', 'Bob the Builder', 'individual', 5368709120, TRUE),
 ('carol', '$2b$05$rniEwa4oaXDdlUZi1BRcm.3VvYNidesiMyT1eIGx.8sjawSQJw4zG', NULL, 'individual', NULL, TRUE),
 ('postmaster', '{SSHA512}nawfeIggsQLY4iBu8aDtHdkPZ8nWxqu3A1RWM14WHNoM92awHTnXE9oBzqYl9wO0Gh6Qp8Ix9ANLNPt7aAIC7FyEm0NB5Ry5', NULL, 'admin', NULL, TRUE),
 ('dave', '$6$eXnIoV729dPFCE/l$l2UKVT5Ok5vVciToqTkiNHOLmZPEqY4dTnsv/0usv5PuX28VYG18I2jDFOwMbf88/sPdWQj1wS/A5bJxg7lTG0', NULL, 'individual', NULL, FALSE),
 ('staff', NULL, 'Everyone on the staff', 'group', 1073741824, TRUE),
 ('admins', NULL, NULL, 'group', NULL, TRUE),
 ('superusers', NULL, NULL, 'group', NULL, TRUE);
INSERT INTO app_passwords (name, secret) VALUES
 ('alice', '$6$Ap9Pass0rdSalt$aHdOyU6uacB6H67CGK5HDFLOCNLcuQsac.iED3wtaTDhJqcXCjMfZdRRTfltz9BSAn9M/.Tlw27gR7qCrkbPO1');
INSERT INTO scram_credentials (name, value) VALUES
 ('bob', 'SCRAM-SHA-1$4096:k5MaLUyYuyZ8mulCrwGBOQ==$N+dOO13ucdeegOpuTRyL6MExP+o=:KKB55tVM8oXUAQxAKxdjzL8Y8Y8='),
 ('bob', 'SCRAM-SHA-256$4096:bgdVRXRuIYvW+HZGf1rIuQ==$E1PdanKijT/h6iq0naekhzdwazgeZZPFXp1bA5YPnWw=:Ccm6dNwlECcefFGqGXCwV585N8MorMQtma5MdWlDLv8=');
INSERT INTO group_members (name, member_of) VALUES
 ('alice', 'staff'), ('bob', 'staff'), ('carol', 'admins'),
 ('admins', 'superusers');
INSERT INTO emails (name, address, type) VALUES
 ('alice', 'alice@example.org', 'primary'),
 ('alice', 'a.liddell@example.org', 'alias'),
 ('alice', 'staff@example.org', 'list'),
 ('bob', 'bob@example.org', 'primary'),
 ('bob', 'staff@example.org', 'list'),
 ('carol', 'carol@example.net', 'primary'),
 ('postmaster', 'postmaster@example.org', 'primary'),
 ('postmaster', 'abuse@example.org', 'alias'),
 ('postmaster', '@example.net', 'alias');
