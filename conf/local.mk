## conf/ -- sample configurations, installed as examples.

sasldirexamplesdir = $(docdir)/examples
dist_sasldirexamples_DATA = conf/sasldir.toml conf/memory.toml \
	conf/stalwart-v04.toml

# The sql directory: a schema per engine, shared data, a configuration
# per engine (tests/integration/sql-*.test run exactly these).
sqlexamplesdir = $(docdir)/examples/sql
dist_sqlexamples_DATA = conf/sql/schema-sqlite.sql conf/sql/schema-mysql.sql \
	conf/sql/schema-postgresql.sql conf/sql/data.sql conf/sql/sqlite.toml \
	conf/sql/mysql.toml conf/sql/postgresql.toml
