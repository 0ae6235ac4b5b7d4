// SPDX-License-Identifier: MIT
/*
 * The NVMe driver's handling of the controller and the block around it,
 * as Linux and OpenBSD do it: the I/O queues are deleted before the
 * controller is disabled (shutdown, reset, suspend), every reset line
 * of the node is taken and toggled, the power domains go down on
 * suspend and remove; and neither the firmware model nor the controller
 * model refuses anything along the way. Run on t8103 and, as
 * system.nvme_power.t8015, on the A11 (ring queues: deleting the I/O
 * queue aborts what the controller had not fetched).
 */
#include "test_nvme_fixture.h"

#include <libfdt.h>

#include <copro/sim/bus.h>
#include <copro/sim/rtkit_fw.h>

struct line {
	int provider;
	_Atomic unsigned asserted, deasserted;
};

static void changed(void *ctx, int provider, uint32_t arg, bool on)
{
	struct line *l = ctx;

	(void)provider;
	(void)arg;
	atomic_fetch_add(on ? &l->asserted : &l->deasserted, 1);
}

static int ref(const struct copro_dt *dt, int node, const char *prop,
	       const char *cells, unsigned i)
{
	struct copro_dt_ref r;

	assert_int_equal(copro_dt_ref(dt, node, prop, cells, i, &r), 0);
	return r.node;
}

static struct copro_sim_ans2_stats stats(struct fx *f)
{
	struct copro_sim_ans2_stats st;

	copro_sim_ans2_get_stats(f->m, &st);
	return st;
}

/* What the controller model refuses or complains of, none of it seen. */
static void no_refusals(struct fx *f)
{
	struct copro_sim_ans2_stats st = stats(f);

	if (st.bad_accesses || st.doorbells_ignored || st.tag_errors ||
	    st.cid_conflicts || st.tcb_missing || st.prp_violations || st.errors)
		test_logcap_dump(&f->cap);
	assert_int_equal(st.bad_accesses, 0);
	assert_int_equal(st.doorbells_ignored, 0);
	assert_int_equal(st.tag_errors, 0);
	assert_int_equal(st.cid_conflicts, 0);
	assert_int_equal(st.tcb_missing, 0);
	assert_int_equal(st.prp_violations, 0);
	assert_int_equal(st.errors, 0);
}

static void io(struct fx *f)
{
	void *buf = fx_alloc(FX_LBA);

	fx_fill(buf, FX_LBA, 7, 1);
	assert_int_equal(copro_nvme_write(f->nvme, 7 * FX_LBA, buf, FX_LBA, false), 0);
	assert_int_equal(copro_nvme_read(f->nvme, 7 * FX_LBA, buf, FX_LBA), 0);
	free(buf);
}

static void test_queues_power_resets(void **state)
{
	const struct copro_dt *dt;
	struct copro_bus_watch w;
	struct line l = { 0 };
	struct copro_sim_rtkit_stats fw;
	struct fx f;
	int pd;

	(void)state;
	fx_up(&f, true, NULL);
	dt = copro_board_dt(f.b);
	pd = ref(dt, f.node, "power-domains", "#power-domain-cells", 0);
	l.provider = ref(dt, f.node, "resets", "#reset-cells", 0);
	w = (struct copro_bus_watch){ .changed = changed, .ctx = &l };
	assert_int_equal(copro_bus_watch_reset(copro_board_bus(f.b), l.provider, &w), 0);
	io(&f);
	assert_int_equal(stats(&f).ioq_deleted, 0);

	/* Suspend: queues deleted, controller disabled, domains off. */
	assert_int_equal(copro_nvme_suspend(f.nvme), 0);
	assert_int_equal(stats(&f).ioq_deleted, 1);
	assert_false(copro_bus_power_is_on(copro_board_bus(f.b), pd, 0));
	assert_int_equal(copro_nvme_resume(f.nvme), 0);
	assert_true(copro_bus_power_is_on(copro_board_bus(f.b), pd, 0));
	io(&f);

	/* A reset deletes them too, and starts the coprocessor cold. */
	assert_int_equal(copro_nvme_reset(f.nvme), 0);
	assert_int_equal(stats(&f).ioq_deleted, 2);
	io(&f);
	assert_int_equal(stats(&f).disabled_with_ioq, 0);

	/* Remove: queues, CPU stop, a reset toggle, domains off. */
	unsigned before = atomic_load(&l.asserted);

	assert_int_equal(copro_device_remove(copro_devices_find(f.devs, f.node)), 0);
	f.nvme = NULL;
	assert_int_equal(stats(&f).ioq_deleted, 3);
	assert_int_equal(stats(&f).disabled_with_ioq, 0);
	assert_int_equal(atomic_load(&l.asserted), before + 1);
	assert_int_equal(atomic_load(&l.deasserted), atomic_load(&l.asserted));
	assert_false(copro_bus_reset_asserted(copro_board_bus(f.b), l.provider, 0));
	assert_false(copro_bus_power_is_on(copro_board_bus(f.b), pd, 0));
	copro_sim_rtkit_get_stats(copro_board_rtkit(f.b, f.node), &fw);
	assert_int_equal(fw.refused, 0);
	assert_int_equal(fw.sart_blocked, 0);
	no_refusals(&f);
	copro_bus_unwatch(copro_board_bus(f.b), l.provider, &w);
	fx_down(&f);
}

/*
 * A reset with I/O stuck in the controller: deleting the queue aborts
 * it, and the reset retries it rather than failing it.
 */
static void test_reset_with_stuck_io(void **state)
{
	struct copro_nvme_config cfg = { .retries = 1,
					 .io_timeout_ns = 300 * COPRO_NSEC_PER_MSEC };
	void *buf = fx_alloc(FX_LBA);
	struct copro_nvme_stats st;
	struct fx f;

	(void)state;
	fx_up(&f, true, &cfg);
	copro_sim_ans2_set_fault(f.m, COPRO_SIM_ANS2_FAULT_STUCK, 1);
	/* Times out, resets (deleting the queue), retried, done. */
	assert_int_equal(copro_nvme_read(f.nvme, 0, buf, FX_LBA), 0);
	copro_nvme_get_stats(f.nvme, &st);
	assert_int_equal(st.resets, 1);
	assert_int_equal(st.retried, 1);
	assert_int_equal(stats(&f).ioq_deleted, 1);
	assert_int_equal(stats(&f).disabled_with_ioq, 0);
	free(buf);
	fx_down(&f);
}

/* The t8103 board with a second reset provider on the NVMe node. */
static void write_two_resets(const char *path)
{
	static char buf[256 * 1024];
	struct copro_dt *dt;
	uint32_t cells[2];
	int node, pmgr, second;
	FILE *out;

	assert_int_equal(copro_board_dt_open("t8103", NULL, &dt), 0);
	assert_int_equal(fdt_open_into(copro_dt_blob(dt), buf, sizeof(buf)), 0);
	copro_dt_close(dt);
	node = fdt_node_offset_by_compatible(buf, -1, "apple,nvme-ans2");
	pmgr = fdt_node_offset_by_compatible(buf, -1, "apple,pmgr-pwrstate");
	assert_true(node >= 0 && pmgr >= 0);
	cells[0] = cpu_to_fdt32((uint32_t)fdt_get_phandle(buf, pmgr));
	second = fdt_add_subnode(buf, fdt_parent_offset(buf, pmgr),
				 "power-controller@3f8");
	assert_true(second >= 0);
	assert_int_equal(fdt_setprop_string(buf, second, "compatible",
					    "apple,pmgr-pwrstate"), 0);
	assert_int_equal(fdt_setprop_u32(buf, second, "reg", 0x3f8), 0);
	assert_int_equal(fdt_appendprop_u32(buf, second, "reg", 4), 0);
	assert_int_equal(fdt_setprop_u32(buf, second, "#reset-cells", 0), 0);
	assert_int_equal(fdt_setprop_u32(buf, second, "phandle", 0x7777), 0);
	node = fdt_node_offset_by_compatible(buf, -1, "apple,nvme-ans2");
	cells[1] = cpu_to_fdt32(0x7777);
	assert_int_equal(fdt_setprop(buf, node, "resets", cells, sizeof(cells)), 0);
	assert_int_equal(fdt_pack(buf), 0);
	out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(buf, 1, fdt_totalsize(buf), out), fdt_totalsize(buf));
	fclose(out);
}

/* Every line of "resets" is asserted and deasserted together. */
static void test_every_reset_line(void **state)
{
	char dtb[] = "/tmp/copro-two-resets-XXXXXX";
	char disk[] = "/tmp/copro-two-resets-disk-XXXXXX";
	struct copro_board_config bc = { .threaded = true,
					 .disk_size = FX_DISK_SIZE };
	struct line l[2] = { 0 };
	struct copro_bus_watch w[2];
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_devices *devs;
	int fd = mkstemp(dtb), dfd = mkstemp(disk), node;

	(void)state;
	assert_true(fd >= 0 && dfd >= 0);
	close(fd);
	write_two_resets(dtb);
	assert_int_equal(test_logcap_init(&cap), 0);
	bc.board = dtb;
	bc.disk_path = disk;
	bc.log = test_logcap_log(&cap);
	assert_int_equal(copro_board_create(&bc, &b), 0);
	node = copro_board_nvme_node(b);
	for (unsigned i = 0; i < 2; i++) {
		l[i].provider = ref(copro_board_dt(b), node, "resets",
				    "#reset-cells", i);
		w[i] = (struct copro_bus_watch){ .changed = changed, .ctx = &l[i] };
		assert_int_equal(copro_bus_watch_reset(copro_board_bus(b),
						       l[i].provider, &w[i]),
				 0);
	}
	assert_true(l[0].provider != l[1].provider);
	assert_int_equal(copro_devices_probe_all(copro_board_platform(b), NULL, &devs), 0);
	assert_non_null(copro_nvme_from_device(copro_devices_find(devs, node)));
	assert_int_equal(copro_devices_remove_all(devs), 0);
	/* Bring-up and remove each toggle both. */
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(atomic_load(&l[i].asserted), 2);
		assert_int_equal(atomic_load(&l[i].deasserted), 2);
		copro_bus_unwatch(copro_board_bus(b), l[i].provider, &w[i]);
	}
	copro_board_destroy(b);
	test_logcap_destroy(&cap);
	unlink(dtb);
	close(dfd);
	unlink(disk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queues_power_resets),
		cmocka_unit_test(test_reset_with_stuck_io),
		cmocka_unit_test(test_every_reset_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
