/*
 * private-bytes.h: big-endian (network order) integers read from and written to
 * byte buffers, for the wire formats' codecs (h2 frames, SS serialization and
 * mux, the built-in crypto). Byte by byte, so alignment and host order never
 * matter.
 */
#if !defined(LOOM_PRIVATE_BYTES_H)
#define LOOM_PRIVATE_BYTES_H

#include <stdint.h>

static inline uint16_t
loom__be16(const uint8_t *p)
{
	return (uint16_t)(((unsigned int)p[0] << 8) | p[1]);
}

static inline uint32_t
loom__be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       p[3];
}

static inline void
loom__put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
loom__put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
