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

/* ---- DTLS module (Sources/DTLS): wrappers for OpenSSL macros ---- */
static inline long loupe_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long loupe_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
/* SSL_OP_* are SSL_OP_BIT(n) expressions. */
static inline uint64_t loupe_SSL_OP_NO_QUERY_MTU(void) { return SSL_OP_NO_QUERY_MTU; }
static inline uint64_t loupe_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t loupe_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline long loupe_DTLS_set_link_mtu(SSL *ssl, long mtu) { return DTLS_set_link_mtu(ssl, mtu); }
/* DTLSv1_get_timeout: microseconds until OpenSSL's retransmission timer fires (it reads the
   wall clock itself), or -1 when no timer runs. */
static inline long long loupe_DTLSv1_get_timeout_us(SSL *ssl) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return -1;
    return (long long)tv.tv_sec * 1000000LL + (long long)tv.tv_usec;
}
static inline long loupe_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline void loupe_BIO_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void loupe_BIO_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }
/* ---- end DTLS section ---- */
#endif
