/*
 * sasldir.h - the public interface of libsasldir, in one include.
 */
#ifndef SASLDIR_H
#define SASLDIR_H

#include "sd_address.h"
#include "sd_cache.h"
#include "sd_config.h"
#include "sd_directory.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_pool.h"
#include "sd_principal.h"
#include "sd_result.h"
#include "sd_secret.h"
#include "sd_toml.h"

#endif
