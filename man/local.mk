## man/ -- manual pages.

dist_man_MANS += man/sasldir.8 man/sasldir.toml.5 man/sasldir-sasl.7
