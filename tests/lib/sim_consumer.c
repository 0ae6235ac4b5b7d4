/* SPDX-License-Identifier: MIT */
/*
 * A program using libcopro-sim, built with
 * `pkg-config --cflags --libs copro-sim`: a board, and a register read
 * over the raw bus (the ASC's CPU_CONTROL reads 0 while the CPU is off).
 */
#include <stdio.h>

#include <copro/sim/board.h>
#include <copro/sim/raw.h>

int main(void)
{
	struct copro_board_config cfg = { .board = "t8103" };
	struct copro_board *b;
	uint32_t v;

	if (copro_board_create(&cfg, &b))
		return 1;
	v = copro_raw_read32(copro_board_bus(b), 0x277400044);
	printf("CPU_CONTROL 0x%08x, boards:", v);
	for (const char *const *n = copro_board_names(); *n; n++)
		printf(" %s", *n);
	printf("\n");
	copro_board_destroy(b);
	return v == 0 ? 0 : 1;
}
