/* Checksum implant: XXH3-64 (seed 0, default secret) of memory ranges,
 * computed inside the tracee.  Freestanding: no libc, no external symbols.
 *
 * Written from the XXH3 specification (xxhash's doc/xxhash_spec.md); the
 * 192-byte default secret and the primes are constants of that spec.
 * Several ranges hash as their concatenation, so a caller can checksum
 * "all writable mappings" and compare with any XXH3-64 implementation.
 *
 * The SIMD path is chosen at run time from CPUID and XGETBV.  XGETBV is
 * the real XCR0 of the CPU whatever a replayed program was shown, so
 * inside a diversion this picks AVX-512 wherever the hardware and kernel
 * enable it. */
#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>

#include "implants/checksum.h"

#define EXPORT __attribute__((visibility("default")))

enum path { PATH_AUTO, PATH_SCALAR, PATH_SSE2, PATH_AVX2, PATH_AVX512 };

#define P32_1 0x9E3779B1u
#define P32_2 0x85EBCA77u
#define P32_3 0xC2B2AE3Du
#define P64_1 0x9E3779B185EBCA87ull
#define P64_2 0xC2B2AE3D27D4EB4Full
#define P64_3 0x165667B19E3779F9ull
#define P64_4 0x85EBCA77C2B2AE63ull
#define P64_5 0x27D4EB2F165667C5ull
#define PMX_1 0x165667919E3779F9ull
#define PMX_2 0x9FB21C651E98DF25ull

#define STRIPE 64
#define SECRET_SIZE 192
#define STRIPES_PER_BLOCK ((SECRET_SIZE - STRIPE) / 8)
#define BUF_SIZE 256

static const uint8_t secret[SECRET_SIZE] __attribute__((aligned(64))) = {
	0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c,
	0xf7, 0x21, 0xad, 0x1c, 0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb,
	0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e,
	0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
	0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6,
	0x81, 0x3a, 0x26, 0x4c, 0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb,
	0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3, 0x71, 0x64, 0x48, 0x97,
	0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
	0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7,
	0xc7, 0x0b, 0x4f, 0x1d, 0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31,
	0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64, 0xea, 0xc5, 0xac, 0x83,
	0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
	0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26,
	0x29, 0xd4, 0x68, 0x9e, 0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc,
	0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce, 0x45, 0xcb, 0x3a, 0x8f,
	0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

/* The compiler may call these for copies and zeroing even when
 * freestanding; hidden, so they resolve inside the implant. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

/* ---- primitives (little-endian loads: x86-64 allows unaligned) ------------ */

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, 8);
	return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t fold128(uint64_t a, uint64_t b)
{
	unsigned __int128 m = (unsigned __int128)a * b;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static inline uint64_t xxh64_avalanche(uint64_t h)
{
	h ^= h >> 33;
	h *= P64_2;
	h ^= h >> 29;
	h *= P64_3;
	return h ^ (h >> 32);
}

static inline uint64_t xxh3_avalanche(uint64_t h)
{
	h ^= h >> 37;
	h *= PMX_1;
	return h ^ (h >> 32);
}

static inline uint64_t rrmxmx(uint64_t h, uint64_t len)
{
	h ^= rotl64(h, 49) ^ rotl64(h, 24);
	h *= PMX_2;
	h ^= (h >> 35) + len;
	h *= PMX_2;
	return h ^ (h >> 28);
}

static inline uint64_t mix16(const uint8_t *in, const uint8_t *sec)
{
	return fold128(rd64(in) ^ rd64(sec), rd64(in + 8) ^ rd64(sec + 8));
}

/* ---- inputs of at most 240 bytes --------------------------------------------- */

static uint64_t hash_0to16(const uint8_t *in, size_t len)
{
	if (len > 8) {
		uint64_t lo = rd64(in) ^ (rd64(secret + 24) ^ rd64(secret + 32));
		uint64_t hi = rd64(in + len - 8) ^
			      (rd64(secret + 40) ^ rd64(secret + 48));
		return xxh3_avalanche(len + __builtin_bswap64(lo) + hi +
				      fold128(lo, hi));
	}
	if (len >= 4) {
		uint64_t v = rd32(in + len - 4) + ((uint64_t)rd32(in) << 32);
		return rrmxmx(v ^ (rd64(secret + 8) ^ rd64(secret + 16)), len);
	}
	if (len) {
		uint32_t c = ((uint32_t)in[0] << 16) |
			     ((uint32_t)in[len >> 1] << 24) |
			     in[len - 1] | ((uint32_t)len << 8);
		return xxh64_avalanche(c ^ (uint64_t)(rd32(secret) ^
						      rd32(secret + 4)));
	}
	return xxh64_avalanche(rd64(secret + 56) ^ rd64(secret + 64));
}

static uint64_t hash_17to128(const uint8_t *in, size_t len)
{
	uint64_t acc = len * P64_1;

	if (len > 32) {
		if (len > 64) {
			if (len > 96) {
				acc += mix16(in + 48, secret + 96);
				acc += mix16(in + len - 64, secret + 112);
			}
			acc += mix16(in + 32, secret + 64);
			acc += mix16(in + len - 48, secret + 80);
		}
		acc += mix16(in + 16, secret + 32);
		acc += mix16(in + len - 32, secret + 48);
	}
	acc += mix16(in, secret);
	acc += mix16(in + len - 16, secret + 16);
	return xxh3_avalanche(acc);
}

static uint64_t hash_129to240(const uint8_t *in, size_t len)
{
	uint64_t acc = len * P64_1;
	size_t rounds = len / 16;

	for (size_t i = 0; i < 8; i++)
		acc += mix16(in + 16 * i, secret + 16 * i);
	acc = xxh3_avalanche(acc);
	/* Later rounds reuse the secret from a 3-byte offset. */
	for (size_t i = 8; i < rounds; i++)
		acc += mix16(in + 16 * i, secret + 16 * (i - 8) + 3);
	acc += mix16(in + len - 16, secret + 136 - 17);
	return xxh3_avalanche(acc);
}

static uint64_t hash_short(const uint8_t *in, size_t len)
{
	if (len <= 16)
		return hash_0to16(in, len);
	if (len <= 128)
		return hash_17to128(in, len);
	return hash_129to240(in, len);
}

/* ---- long inputs: stripe accumulation, one version per path ------------------ */

static void acc_scalar(uint64_t *acc, const uint8_t *in, size_t n,
		       const uint8_t *sec)
{
	for (size_t s = 0; s < n; s++, in += STRIPE, sec += 8)
		for (int i = 0; i < 8; i++) {
			uint64_t d = rd64(in + 8 * i);
			uint64_t k = d ^ rd64(sec + 8 * i);
			acc[i ^ 1] += d;
			acc[i] += (uint64_t)(uint32_t)k * (k >> 32);
		}
}

static void scramble_scalar(uint64_t *acc, const uint8_t *sec)
{
	for (int i = 0; i < 8; i++) {
		uint64_t a = acc[i];
		a ^= a >> 47;
		a ^= rd64(sec + 8 * i);
		acc[i] = a * P32_1;
	}
}

/* In every vector path: lanes of 64 bits; data ^ key multiplied low half
 * by high half (shuffle 0x31 brings each high half down), plus the data
 * with neighbouring lanes swapped (shuffle 0x4e). */
static void acc_sse2(uint64_t *acc, const uint8_t *in, size_t n,
		     const uint8_t *sec)
{
	__m128i a[4];

	for (int j = 0; j < 4; j++)
		a[j] = _mm_loadu_si128((const __m128i *)acc + j);
	for (size_t s = 0; s < n; s++, in += STRIPE, sec += 8)
		for (int j = 0; j < 4; j++) {
			__m128i d = _mm_loadu_si128((const __m128i *)in + j);
			__m128i k = _mm_loadu_si128((const __m128i *)sec + j);
			__m128i dk = _mm_xor_si128(d, k);
			__m128i p = _mm_mul_epu32(dk, _mm_shuffle_epi32(dk, 0x31));
			a[j] = _mm_add_epi64(a[j], _mm_add_epi64(
				p, _mm_shuffle_epi32(d, 0x4e)));
		}
	for (int j = 0; j < 4; j++)
		_mm_storeu_si128((__m128i *)acc + j, a[j]);
}

static void scramble_sse2(uint64_t *acc, const uint8_t *sec)
{
	const __m128i prime = _mm_set1_epi32((int)P32_1);

	for (int j = 0; j < 4; j++) {
		__m128i a = _mm_loadu_si128((const __m128i *)acc + j);
		a = _mm_xor_si128(a, _mm_srli_epi64(a, 47));
		a = _mm_xor_si128(a, _mm_loadu_si128((const __m128i *)sec + j));
		__m128i lo = _mm_mul_epu32(a, prime);
		__m128i hi = _mm_mul_epu32(_mm_srli_epi64(a, 32), prime);
		_mm_storeu_si128((__m128i *)acc + j,
				 _mm_add_epi64(lo, _mm_slli_epi64(hi, 32)));
	}
}

__attribute__((target("avx2")))
static void acc_avx2(uint64_t *acc, const uint8_t *in, size_t n,
		     const uint8_t *sec)
{
	__m256i a0 = _mm256_loadu_si256((const __m256i *)acc);
	__m256i a1 = _mm256_loadu_si256((const __m256i *)acc + 1);

	for (size_t s = 0; s < n; s++, in += STRIPE, sec += 8) {
		__m256i d0 = _mm256_loadu_si256((const __m256i *)in);
		__m256i d1 = _mm256_loadu_si256((const __m256i *)in + 1);
		__m256i k0 = _mm256_xor_si256(d0, _mm256_loadu_si256(
						      (const __m256i *)sec));
		__m256i k1 = _mm256_xor_si256(d1, _mm256_loadu_si256(
						      (const __m256i *)sec + 1));
		a0 = _mm256_add_epi64(a0, _mm256_add_epi64(
			_mm256_mul_epu32(k0, _mm256_shuffle_epi32(k0, 0x31)),
			_mm256_shuffle_epi32(d0, 0x4e)));
		a1 = _mm256_add_epi64(a1, _mm256_add_epi64(
			_mm256_mul_epu32(k1, _mm256_shuffle_epi32(k1, 0x31)),
			_mm256_shuffle_epi32(d1, 0x4e)));
	}
	_mm256_storeu_si256((__m256i *)acc, a0);
	_mm256_storeu_si256((__m256i *)acc + 1, a1);
}

__attribute__((target("avx2")))
static void scramble_avx2(uint64_t *acc, const uint8_t *sec)
{
	const __m256i prime = _mm256_set1_epi32((int)P32_1);

	for (int j = 0; j < 2; j++) {
		__m256i a = _mm256_loadu_si256((const __m256i *)acc + j);
		a = _mm256_xor_si256(a, _mm256_srli_epi64(a, 47));
		a = _mm256_xor_si256(a, _mm256_loadu_si256(
					     (const __m256i *)sec + j));
		__m256i lo = _mm256_mul_epu32(a, prime);
		__m256i hi = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), prime);
		_mm256_storeu_si256((__m256i *)acc + j,
				    _mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32)));
	}
}

__attribute__((target("avx512f")))
static void acc_avx512(uint64_t *acc, const uint8_t *in, size_t n,
		       const uint8_t *sec)
{
	__m512i a = _mm512_loadu_si512(acc);

	for (size_t s = 0; s < n; s++, in += STRIPE, sec += 8) {
		__m512i d = _mm512_loadu_si512(in);
		__m512i k = _mm512_xor_si512(d, _mm512_loadu_si512(sec));
		__m512i p = _mm512_mul_epu32(k, _mm512_shuffle_epi32(
						     k, (_MM_PERM_ENUM)0x31));
		a = _mm512_add_epi64(a, _mm512_add_epi64(
			p, _mm512_shuffle_epi32(d, (_MM_PERM_ENUM)0x4e)));
	}
	_mm512_storeu_si512(acc, a);
}

__attribute__((target("avx512f")))
static void scramble_avx512(uint64_t *acc, const uint8_t *sec)
{
	const __m512i prime = _mm512_set1_epi32((int)P32_1);
	__m512i a = _mm512_loadu_si512(acc);

	a = _mm512_xor_si512(a, _mm512_srli_epi64(a, 47));
	a = _mm512_xor_si512(a, _mm512_loadu_si512(sec));
	__m512i lo = _mm512_mul_epu32(a, prime);
	__m512i hi = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), prime);
	_mm512_storeu_si512(acc, _mm512_add_epi64(lo, _mm512_slli_epi64(hi, 32)));
}

static void accumulate(int path, uint64_t *acc, const uint8_t *in, size_t n,
		       const uint8_t *sec)
{
	switch (path) {
	case PATH_AVX512: acc_avx512(acc, in, n, sec); break;
	case PATH_AVX2: acc_avx2(acc, in, n, sec); break;
	case PATH_SSE2: acc_sse2(acc, in, n, sec); break;
	default: acc_scalar(acc, in, n, sec); break;
	}
}

static void scramble(int path, uint64_t *acc, const uint8_t *sec)
{
	switch (path) {
	case PATH_AVX512: scramble_avx512(acc, sec); break;
	case PATH_AVX2: scramble_avx2(acc, sec); break;
	case PATH_SSE2: scramble_sse2(acc, sec); break;
	default: scramble_scalar(acc, sec); break;
	}
}

/* ---- path selection ----------------------------------------------------------- */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* XCR0 as the hardware has it (0 when the OS has not enabled XSAVE). */
EXPORT uint64_t xrr_xgetbv0(void)
{
	uint32_t r[4], lo, hi;

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)))       /* OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The best path this CPU and kernel allow. */
EXPORT uint32_t xrr_checksum_path(void)
{
	uint32_t r[4], max;
	uint64_t xcr0 = xrr_xgetbv0();

	cpuid(0, 0, r);
	max = r[0];
	if (max < 7 || (xcr0 & 0x6) != 0x6)     /* SSE and AVX state */
		return PATH_SSE2;
	cpuid(7, 0, r);
	if ((xcr0 & 0xe0) == 0xe0 && (r[1] & (1u << 16)))   /* AVX512F */
		return PATH_AVX512;
	if (r[1] & (1u << 5))                               /* AVX2 */
		return PATH_AVX2;
	return PATH_SSE2;
}

static int choose(int force)
{
	int best = (int)xrr_checksum_path();

	return force <= PATH_AUTO || force > best ? best : force;
}

/* ---- streaming over ranges ------------------------------------------------------ */

struct state {
	uint64_t acc[8];
	uint64_t total;
	unsigned block_stripes;         /* stripes done in the current block */
	int path;
	size_t buflen;
	uint8_t buf[BUF_SIZE];
	uint8_t last[STRIPE];           /* the last stripe consumed */
};

static void consume(struct state *st, uint64_t *acc, unsigned *bs,
		    const uint8_t *in, size_t n)
{
	while (n) {
		size_t k = STRIPES_PER_BLOCK - *bs;
		if (k > n)
			k = n;
		accumulate(st->path, acc, in, k, secret + 8 * *bs);
		*bs += (unsigned)k;
		in += k * STRIPE;
		n -= k;
		if (*bs == STRIPES_PER_BLOCK) {
			scramble(st->path, acc, secret + SECRET_SIZE - STRIPE);
			*bs = 0;
		}
	}
}

/* Stripes are consumed only when more input follows them: the final
 * stripe is treated differently, and inputs up to 240 bytes are hashed
 * whole, so the buffer keeps them. */
static void update(struct state *st, const uint8_t *in, size_t n)
{
	st->total += n;
	if (st->buflen + n <= BUF_SIZE) {
		memcpy(st->buf + st->buflen, in, n);
		st->buflen += n;
		return;
	}
	if (st->buflen) {
		size_t k = BUF_SIZE - st->buflen;
		memcpy(st->buf + st->buflen, in, k);
		in += k;
		n -= k;
		consume(st, st->acc, &st->block_stripes, st->buf,
			BUF_SIZE / STRIPE);
		memcpy(st->last, st->buf + BUF_SIZE - STRIPE, STRIPE);
		st->buflen = 0;
	}
	if (n > BUF_SIZE) {
		size_t m = (n - 1) / STRIPE;
		consume(st, st->acc, &st->block_stripes, in, m);
		memcpy(st->last, in + m * STRIPE - STRIPE, STRIPE);
		in += m * STRIPE;
		n -= m * STRIPE;
	}
	memcpy(st->buf, in, n);
	st->buflen = n;
}

static uint64_t digest(struct state *st)
{
	uint64_t acc[8];
	unsigned bs = st->block_stripes;
	uint8_t tail[STRIPE];
	const uint8_t *final;

	if (st->total <= 240)
		return hash_short(st->buf, st->total);
	for (int i = 0; i < 8; i++)
		acc[i] = st->acc[i];
	if (st->buflen >= STRIPE) {
		consume(st, acc, &bs, st->buf, (st->buflen - 1) / STRIPE);
		final = st->buf + st->buflen - STRIPE;
	} else {
		/* The final stripe straddles consumed input. */
		memcpy(tail, st->last + st->buflen, STRIPE - st->buflen);
		memcpy(tail + STRIPE - st->buflen, st->buf, st->buflen);
		final = tail;
	}
	accumulate(st->path, acc, final, 1, secret + SECRET_SIZE - STRIPE - 7);
	uint64_t h = st->total * P64_1;
	for (int i = 0; i < 4; i++)
		h += fold128(acc[2 * i] ^ rd64(secret + 11 + 16 * i),
			     acc[2 * i + 1] ^ rd64(secret + 11 + 16 * i + 8));
	return xxh3_avalanche(h);
}

static void init(struct state *st, int force)
{
	static const uint64_t start[8] = { P32_3, P64_1, P64_2, P64_3,
					    P64_4, P32_2, P64_5, P32_1 };

	for (int i = 0; i < 8; i++)
		st->acc[i] = start[i];
	st->total = 0;
	st->block_stripes = 0;
	st->buflen = 0;
	st->path = choose(force);
}

EXPORT uint64_t xrr_checksum_ranges(const struct range *r, size_t n,
				    int force_path, uint32_t *path_used)
{
	struct state st;

	init(&st, force_path);
	for (size_t i = 0; i < n; i++)
		update(&st, (const uint8_t *)(uintptr_t)r[i].addr,
		       (size_t)r[i].len);
	if (path_used)
		*path_used = (uint32_t)st.path;
	return digest(&st);
}

EXPORT uint64_t xrr_checksum(const void *p, size_t len, int force_path,
			     uint32_t *path_used)
{
	struct range r = { (uint64_t)(uintptr_t)p, len };

	return xrr_checksum_ranges(&r, 1, force_path, path_used);
}
