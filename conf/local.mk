## conf/ -- sample configurations, installed as examples.

sasldirexamplesdir = $(docdir)/examples
dist_sasldirexamples_DATA = conf/sasldir.toml conf/stalwart-v04.toml
