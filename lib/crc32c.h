/*
 * CRC-32C (Castagnoli), the checksum of every commit log record.  Uses the
 * SSE4.2 crc32 instruction when the CPU has it, else a slicing-by-8 table.
 */
#ifndef CRC32C_H
#define CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t	crc32c(uint32_t, const void *, size_t);
uint32_t	crc32c_sw(uint32_t, const void *, size_t);
uint32_t	crc32c_hw(uint32_t, const void *, size_t);
int		crc32c_have_hw(void);

#endif /* CRC32C_H */
