#ifndef LOUPE_COPENSSL_SHIM_H
#define LOUPE_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/crypto.h>
/* Macro wrappers Swift cannot import go below (one static inline function per macro). */
#endif
