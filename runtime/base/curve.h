/*  =========================================================================
    curve - CURVE keys from certificate files and Z85 text
    =========================================================================
*/
#ifndef ZOWN_CURVE_INTERNAL_H_INCLUDED
#define ZOWN_CURVE_INTERNAL_H_INCLUDED

#define ZOWN_CURVE_KEY 32  //  Octets of a binary key

//  Both keys of a secret certificate file. Returns 0, or -1 with
//  ZOWN_INVALID (no such file, or not a secret certificate).
int zown_curve_load_pair (const char *file, uint8_t *public_key, uint8_t *secret_key);

//  A public key from Z85 text or a certificate file. Returns 0, or -1 with
//  ZOWN_INVALID.
int zown_curve_load_public (const char *key_or_file, uint8_t *public_key);

#endif
