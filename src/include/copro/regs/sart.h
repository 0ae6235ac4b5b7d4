/* SPDX-License-Identifier: MIT */
/*
 * Apple SART DMA address filter registers (hardware.md 3), shared by the
 * host driver and the device model.
 *
 * Three layouts of the same 16-entry allow list. Every register is 32
 * bits wide. Addresses are stored shifted right by 12 and sizes count
 * 4 KiB units, so both must be 4 KiB aligned.
 *
 *   v0 (SART1, A11 t8015):      CONFIG(i) = flags 28:24 | size 18:0
 *   v2 (SART2, M1 t8103, A14):  CONFIG(i) = flags 31:24 | size 23:0
 *   v3 (SART3, M1 Pro/Max t6000): FLAGS(i) 7:0, SIZE(i) 29:0
 *   all:                        ADDR(i)   = phys >> 12
 *
 * The address registers implement only the bits a version can address
 * (36 - 12 or 42 - 12): public drivers give the address width, not the
 * register's implemented bits, so this is the model's reading of it.
 */
#ifndef COPRO_REGS_SART_H
#define COPRO_REGS_SART_H

#define SART_COMPAT_V0 "apple,t8015-sart"
#define SART_COMPAT_V2 "apple,t8103-sart"
#define SART_COMPAT_V3 "apple,t6000-sart"

#define SART_MAX_ENTRIES 16

#define SART_ADDR_SHIFT 12
#define SART_SIZE_SHIFT 12
#define SART_GRANULE (1ull << SART_SIZE_SHIFT) /* alignment of both */

/* Entry registers, offsets from the SART base. */
#define SART_CONFIG(i) (0x00 + 4 * (i))	/* v0, v2 */
#define SART3_FLAGS(i) (0x00 + 4 * (i))	/* v3: the config slot holds flags */
#define SART_ADDR(i) (0x40 + 4 * (i))	/* all versions */
#define SART3_SIZE(i) (0x80 + 4 * (i))	/* v3 */

/* v0: SART1 */
#define SART0_CONFIG_FLAGS_SHIFT 24
#define SART0_CONFIG_FLAGS_MASK (0x1fu << SART0_CONFIG_FLAGS_SHIFT) /* 28:24 */
#define SART0_CONFIG_SIZE_MASK 0x0007ffffu			  /* 18:0 */
#define SART0_FLAGS_ALLOW 0xfu
#define SART0_ADDR_BITS 36
#define SART0_ADDR_MASK 0x00ffffffu /* (36 - 12) bits */
#define SART0_SIZE_MAX SART0_CONFIG_SIZE_MASK /* in 4 KiB units */
#define SART0_REGS_SIZE 0x80

/* v2: SART2 */
#define SART2_CONFIG_FLAGS_SHIFT 24
#define SART2_CONFIG_FLAGS_MASK (0xffu << SART2_CONFIG_FLAGS_SHIFT) /* 31:24 */
#define SART2_CONFIG_SIZE_MASK 0x00ffffffu			  /* 23:0 */
#define SART2_FLAGS_ALLOW 0xffu
#define SART2_ADDR_BITS 36
#define SART2_ADDR_MASK 0x00ffffffu
#define SART2_SIZE_MAX SART2_CONFIG_SIZE_MASK
#define SART2_REGS_SIZE 0x80

/* v3: SART3 */
#define SART3_FLAGS_MASK 0xffu		/* 7:0 */
#define SART3_SIZE_MASK 0x3fffffffu	/* 29:0 */
#define SART3_FLAGS_ALLOW 0xffu
#define SART3_ADDR_BITS 42
#define SART3_ADDR_MASK 0x3fffffffu	/* (42 - 12) bits */
#define SART3_SIZE_MAX SART3_SIZE_MASK
#define SART3_REGS_SIZE 0xc0

#endif
