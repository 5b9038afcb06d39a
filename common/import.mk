## common/import.mk -- the import formats and export writers of
## libsasldir (sd_import.c), included from common/local.mk.

common_libsasldir_la_SOURCES += common/sd_import.c common/sd_import.h
sasldirinclude_HEADERS += common/sd_import.h
