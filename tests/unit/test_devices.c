/* SPDX-License-Identifier: MIT */
/*
 * The driver model: matching, the probe-all pass with deferral, the
 * report when providers never come (missing, disabled, not provided, a
 * cycle), reverse removal and removal refused while a provider is held,
 * lookups; then the real drivers on the t8103 board, with a second
 * consumer of the NVMe's SART.
 *
 * The small boards here are devicetrees with test drivers plugged in by
 * their own tables, the way the SMC mailbox or SCMI agent will be: no
 * models, no registers, just providers registered and held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include <copro/asc.h>
#include <copro/devices.h>
#include <copro/driver/device.h>
#include <copro/error.h>
#include <copro/nvme.h>
#include <copro/sart.h>
#include <copro/scmi.h>
#include <copro/smc_mbox.h>
#include <copro/sim/board.h>

#include "test_dtb.h"
#include "testutil.h"

#define KIND "test"

/* ---- what the test drivers did, in order -------------------------------- */

#define REC_MAX 32

struct rec {
	char ev[REC_MAX][64];
	unsigned n;
};

static void rec_add(struct copro_device *dev, const char *what)
{
	struct rec *r = (struct rec *)copro_device_config(dev);

	assert_non_null(r);
	assert_true(r->n < REC_MAX);
	snprintf(r->ev[r->n++], sizeof(r->ev[0]), "%s %s", what,
		 copro_device_name(dev));
}

static void rec_expect(const struct rec *r, const char *const *want)
{
	unsigned i = 0;

	for (; want[i]; i++) {
		assert_true(i < r->n);
		assert_string_equal(r->ev[i], want[i]);
	}
	assert_int_equal(r->n, i);
}

/* ---- test drivers --------------------------------------------------------- */

/* Registers a "test" provider at its node. */
static int prov_probe(struct copro_device *dev)
{
	int rc = copro_platform_provider_add(copro_device_platform(dev), KIND,
					     copro_device_node(dev), dev);

	if (!rc)
		rec_add(dev, "probe");
	return rc;
}

static int prov_remove(struct copro_device *dev)
{
	int rc = copro_platform_provider_remove(copro_device_platform(dev),
						KIND, copro_device_node(dev));

	if (!rc)
		rec_add(dev, "remove");
	return rc;
}

static const struct copro_driver_need test_needs[] = {
	{ "test-providers", NULL, KIND },
	{ NULL, NULL, NULL },
};

/* Holds a reference on every provider its "test-providers" names. */
struct held {
	unsigned n;
	void *prov[8];
};

static int cons_take(struct copro_device *dev)
{
	struct copro_platform *p = copro_device_platform(dev);
	const struct copro_dt *dt = copro_platform_dt(p);
	int n = copro_dt_ref_count(dt, copro_device_node(dev),
				   "test-providers", NULL);
	struct held *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	assert_true(n >= 0 && n <= 8);
	for (int i = 0; i < n; i++) {
		struct copro_dt_ref ref;

		assert_int_equal(copro_dt_ref(dt, copro_device_node(dev),
					      "test-providers", NULL,
					      (unsigned)i, &ref),
				 0);
		/* The pass waited: every provider is there. */
		h->prov[h->n] = copro_platform_provider_get(p, KIND, ref.node);
		assert_non_null(h->prov[h->n]);
		h->n++;
	}
	copro_device_set_data(dev, h);
	return 0;
}

static void cons_drop(struct copro_device *dev)
{
	struct held *h = copro_device_data(dev);

	for (unsigned i = 0; i < h->n; i++)
		copro_platform_provider_put(copro_device_platform(dev), KIND,
					    h->prov[i]);
	free(h);
}

static int cons_probe(struct copro_device *dev)
{
	cons_take(dev);
	rec_add(dev, "probe");
	return 0;
}

static int cons_remove(struct copro_device *dev)
{
	cons_drop(dev);
	rec_add(dev, "remove");
	return 0;
}

/* A consumer that is a provider too: what a cycle is made of. */
static int both_probe(struct copro_device *dev)
{
	cons_take(dev);
	return prov_probe(dev);
}

static int both_remove(struct copro_device *dev)
{
	int rc = prov_remove(dev);

	if (!rc)
		cons_drop(dev);
	return rc;
}

/* Binds, provides nothing. */
static int lazy_probe(struct copro_device *dev)
{
	rec_add(dev, "probe");
	return 0;
}

static int lazy_remove(struct copro_device *dev)
{
	rec_add(dev, "remove");
	return 0;
}

static int broken_probe(struct copro_device *dev)
{
	rec_add(dev, "fail");
	return -EIO;
}

/* Provides under a name only, as a run-time-bound provider does. */
static int late_probe(struct copro_device *dev)
{
	const struct copro_provider_desc d = { KIND, -1, "late", dev };
	int rc = copro_platform_provider_register(copro_device_platform(dev),
						  &d);

	if (!rc)
		rec_add(dev, "probe");
	return rc;
}

static int late_remove(struct copro_device *dev)
{
	int rc = copro_platform_provider_unregister(copro_device_platform(dev),
						    KIND, dev);

	if (!rc)
		rec_add(dev, "remove");
	return rc;
}

/* Waits, by deferring itself, for what no phandle names. */
static int waiter_probe(struct copro_device *dev)
{
	if (!copro_platform_provider_find_named(copro_device_platform(dev),
						KIND, "late"))
		return copro_device_defer(dev, "no provider named \"late\" yet");
	rec_add(dev, "probe");
	return 0;
}

#define COMPAT(name, s) static const char *const name[] = { s, NULL }
COMPAT(prov_compat, "copro,test-provider");
COMPAT(cons_compat, "copro,test-consumer");
COMPAT(both_compat, "copro,test-both");
COMPAT(lazy_compat, "copro,test-lazy");
COMPAT(broken_compat, "copro,test-broken");
COMPAT(late_compat, "copro,test-late");
COMPAT(waiter_compat, "copro,test-waiter");

static const struct copro_driver prov_drv = {
	"prov", prov_compat, NULL, prov_probe, prov_remove,
};
static const struct copro_driver cons_drv = {
	"cons", cons_compat, test_needs, cons_probe, cons_remove,
};
static const struct copro_driver both_drv = {
	"both", both_compat, test_needs, both_probe, both_remove,
};
static const struct copro_driver lazy_drv = {
	"lazy", lazy_compat, NULL, lazy_probe, lazy_remove,
};
static const struct copro_driver broken_drv = {
	"broken", broken_compat, NULL, broken_probe, lazy_remove,
};
static const struct copro_driver late_drv = {
	"late", late_compat, NULL, late_probe, late_remove,
};
static const struct copro_driver waiter_drv = {
	"waiter", waiter_compat, NULL, waiter_probe, lazy_remove,
};

/* Consumers listed first: the pass, not the list, orders the probes. */
static const struct copro_driver *const test_drivers[] = {
	&cons_drv, &both_drv, &waiter_drv, &prov_drv,
	&lazy_drv, &broken_drv, &late_drv, NULL,
};

/* ---- boards made of test nodes ------------------------------------------- */

struct node_spec {
	const char *name;
	const char *compat; /* NULL: none */
	uint32_t phandle;   /* 0: none */
	uint32_t refs[4];   /* "test-providers" phandles, 0-terminated */
	bool disabled;
};

/* A node, a disabled node, the end of the list. */
#define N(name, compat, ph, ...) { name, compat, ph, { __VA_ARGS__ }, false }
#define OFF(name, compat, ph, ...) { name, compat, ph, { __VA_ARGS__ }, true }
#define END { NULL, NULL, 0, { 0 }, false }

struct fx {
	struct test_logcap cap;
	struct copro_dt *dt;
	struct copro_bus *bus;
	struct copro_platform *p;
	struct rec rec;
	struct copro_driver_config cfgs[8];
	struct copro_devices_config dc;
	struct copro_devices *devs;
};

static void ok(int rc)
{
	assert_int_equal(rc, 0);
}

static struct test_dtb *build(const struct node_spec *nodes)
{
	struct test_dtb *b = test_dtb_new();

	test_dtb_begin(b, "");
	test_dtb_u32(b, "#address-cells", 2);
	test_dtb_u32(b, "#size-cells", 2);
	test_dtb_memory(b, 0x100000000, 0x100000);
	for (const struct node_spec *n = nodes; n->name; n++) {
		unsigned nr = 0;

		test_dtb_begin(b, n->name);
		if (n->compat)
			test_dtb_str(b, "compatible", n->compat);
		if (n->phandle)
			test_dtb_phandle(b, n->phandle);
		while (nr < 4 && n->refs[nr])
			nr++;
		if (nr)
			test_dtb_cells_v(b, "test-providers", n->refs, nr);
		if (n->disabled)
			test_dtb_str(b, "status", "disabled");
		test_dtb_end(b);
	}
	test_dtb_end(b);
	return b;
}

static void fx_open(struct fx *f, const struct node_spec *nodes)
{
	unsigned i = 0;

	memset(f, 0, sizeof(*f));
	ok(test_logcap_init(&f->cap));
	ok(test_dtb_open(build(nodes), "devs", test_logcap_log(&f->cap),
			 &f->dt));
	ok(test_platform_create(f->dt, test_logcap_log(&f->cap), false,
				&f->bus, &f->p));
	for (const struct copro_driver *const *d = test_drivers; *d; d++)
		f->cfgs[i++] = (struct copro_driver_config){ (*d)->name,
							     &f->rec };
	f->dc.drivers = test_drivers;
	f->dc.configs = f->cfgs;
}

static int fx_probe(struct fx *f)
{
	return copro_devices_probe_all(f->p, &f->dc, &f->devs);
}

static int node_of(struct fx *f, const char *path)
{
	int node = copro_dt_path(f->dt, path);

	assert_true(node >= 0);
	return node;
}

/* Everything gone, nothing leaked (the platform reports providers left). */
static void fx_close(struct fx *f)
{
	if (f->devs)
		ok(copro_devices_remove_all(f->devs));
	test_platform_destroy(f->bus, f->p);
	copro_dt_close(f->dt);
	if (test_logcap_contains(&f->cap, "still registered")) {
		test_logcap_dump(&f->cap);
		fail_msg("a provider was left registered");
	}
	test_logcap_destroy(&f->cap);
}

/* ---- the pass ------------------------------------------------------------- */

/* The consumer comes first in the tree; it is probed last, removed first. */
static void test_providers_first(void **state)
{
	static const struct node_spec nodes[] = {
		N("a", "copro,test-consumer", 0, 1, 2),
		N("p1", "copro,test-provider", 1, 0),
		N("p2", "copro,test-provider", 2, 0),
		N("plain", "copro,nobody", 0, 0),
		OFF("off", "copro,test-provider", 0, 0),
		END,
	};
	static const char *const probed[] = { "probe p1", "probe p2",
					      "probe a", NULL };
	static const char *const removed[] = {
		"probe p1", "probe p2", "probe a",
		"remove a", "remove p2", "remove p1", NULL,
	};
	struct copro_device *a, *p1, *d;
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	ok(fx_probe(&f));
	rec_expect(&f.rec, probed);
	assert_true(test_logcap_contains(&f.cap,
		"a: deferred: 'test-providers' entry 0 has no test provider yet"));
	/* Nodes with no driver, or disabled, are no devices. */
	assert_int_equal(copro_devices_count(f.devs), 3);
	assert_null(copro_devices_find(f.devs, node_of(&f, "/plain")));
	assert_null(copro_devices_find(f.devs, node_of(&f, "/off")));

	a = copro_devices_find(f.devs, node_of(&f, "/a"));
	p1 = copro_devices_find(f.devs, node_of(&f, "/p1"));
	assert_non_null(a);
	assert_non_null(p1);
	assert_ptr_equal(copro_device_driver(a), &cons_drv);
	assert_string_equal(copro_device_driver(p1)->name, "prov");
	assert_string_equal(copro_device_compatible(a), "copro,test-consumer");
	assert_string_equal(copro_device_name(p1), "p1");
	assert_ptr_equal(copro_device_platform(a), f.p);
	/* Each provider is held once, by the consumer. */
	assert_int_equal(copro_platform_provider_refs(f.p, KIND, p1), 1);

	/* By compatible, in probe order. */
	d = copro_devices_find_compatible(f.devs, "copro,test-provider", NULL);
	assert_ptr_equal(d, p1);
	d = copro_devices_find_compatible(f.devs, "copro,test-provider", d);
	assert_string_equal(copro_device_name(d), "p2");
	assert_null(copro_devices_find_compatible(f.devs,
						  "copro,test-provider", d));
	assert_ptr_equal(copro_devices_find_compatible(f.devs, NULL, d), a);
	assert_null(copro_devices_find_compatible(f.devs, "copro,nobody",
						  NULL));
	/* The NVMe accessor knows its own devices only. */
	assert_null(copro_nvme_from_device(a));
	assert_null(copro_nvme_from_device(NULL));

	ok(copro_devices_remove_all(f.devs));
	f.devs = NULL;
	rec_expect(&f.rec, removed);
	fx_close(&f);
}

/* A device waiting for a node no driver of the pass binds to. */
static void test_missing_provider(void **state)
{
	static const struct node_spec nodes[] = {
		N("p1", "copro,test-provider", 1, 0),
		N("a", "copro,test-consumer", 0, 1, 7),
		N("ghost", "copro,t9999-thing", 7, 0),
		END,
	};
	static const char *const want[] = { "probe p1", "remove p1", NULL };
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	assert_int_equal(fx_probe(&f), -ENODEV);
	assert_null(f.devs);
	test_logcap_expect(&f.cap,
		"devs: /a (driver cons): 'test-providers' entry 1 (phandle 0x7)"
		" names /ghost, which has no test provider: no driver in this"
		" pass binds to \"copro,t9999-thing\"");
	/* All or nothing: what probed is removed again. */
	rec_expect(&f.rec, want);
	fx_close(&f);
}

static void test_disabled_provider(void **state)
{
	static const struct node_spec nodes[] = {
		N("a", "copro,test-consumer", 0, 3),
		OFF("p3", "copro,test-provider", 3, 0),
		END,
	};
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	assert_int_equal(fx_probe(&f), -ENODEV);
	test_logcap_expect(&f.cap, "'test-providers' entry 0 (phandle 0x3)"
				   " names /p3, which has no test provider:"
				   " the node is disabled");
	assert_int_equal(f.rec.n, 0);
	fx_close(&f);
}

static void test_bound_but_not_providing(void **state)
{
	static const struct node_spec nodes[] = {
		N("a", "copro,test-consumer", 0, 4),
		N("lazy", "copro,test-lazy", 4, 0),
		END,
	};
	static const char *const want[] = { "probe lazy", "remove lazy", NULL };
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	assert_int_equal(fx_probe(&f), -ENODEV);
	test_logcap_expect(&f.cap, "names /lazy, which has no test provider:"
				   " it is bound to driver 'lazy', which"
				   " registered no test provider for it");
	rec_expect(&f.rec, want);
	fx_close(&f);
}

/* x needs y, y needs x: neither ever probes, and the report says so. */
static void test_cycle(void **state)
{
	static const struct node_spec nodes[] = {
		N("p1", "copro,test-provider", 1, 0),
		N("x", "copro,test-both", 5, 1, 6),
		N("y", "copro,test-both", 6, 5),
		N("z", "copro,test-consumer", 0, 6),
		END,
	};
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	assert_int_equal(fx_probe(&f), -ELOOP);
	test_logcap_expect(&f.cap, "devs: /x (driver both): 'test-providers'"
				   " entry 1 (phandle 0x6) names /y, which has"
				   " no test provider: dependency cycle:"
				   " /x ('test-providers') -> /y"
				   " ('test-providers') -> /x");
	test_logcap_expect(&f.cap, "dependency cycle: /y ('test-providers')"
				   " -> /x ('test-providers') -> /y");
	/* Waiting on a cycle is not being on it. */
	test_logcap_expect(&f.cap, "/z (driver cons): 'test-providers' entry 0"
				   " (phandle 0x6) names /y, which has no test"
				   " provider: its driver 'both' is waiting for"
				   " a provider of its own");
	fx_close(&f);
}

/* One failing probe fails the pass and undoes it, last probed first. */
static void test_probe_error_rolls_back(void **state)
{
	static const struct node_spec nodes[] = {
		N("p1", "copro,test-provider", 1, 0),
		N("a", "copro,test-consumer", 0, 1),
		N("p2", "copro,test-provider", 2, 0),
		N("bad", "copro,test-broken", 0, 0),
		END,
	};
	static const char *const want[] = {
		"probe p1", "probe a", "probe p2", "fail bad",
		"remove p2", "remove a", "remove p1", NULL,
	};
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	assert_int_equal(fx_probe(&f), -EIO);
	assert_null(f.devs);
	test_logcap_expect(&f.cap, "devs: /bad: driver broken"
				   " (\"copro,test-broken\"): probe failed");
	rec_expect(&f.rec, want);
	fx_close(&f);
}

/*
 * A probe that waits for something no phandle names defers itself and
 * is retried once another probe registered it; if it never comes, its
 * own reason is reported.
 */
static void test_probe_defers_itself(void **state)
{
	static const struct node_spec nodes[] = {
		N("w", "copro,test-waiter", 0, 0),
		N("late", "copro,test-late", 0, 0),
		END,
	};
	static const struct node_spec lonely[] = {
		N("w", "copro,test-waiter", 0, 0),
		END,
	};
	static const char *const want[] = { "probe late", "probe w", NULL };
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	ok(fx_probe(&f));
	rec_expect(&f.rec, want);
	assert_true(test_logcap_contains(&f.cap, "w: probe deferred: no"
						 " provider named \"late\" yet"));
	fx_close(&f);

	fx_open(&f, lonely);
	assert_int_equal(fx_probe(&f), -ENODEV);
	test_logcap_expect(&f.cap, "devs: /w (driver waiter): probe deferred"
				   " and nothing it waits for came: no provider"
				   " named \"late\" yet");
	fx_close(&f);
}

/*
 * A provider cannot go while held: not from under a bound consumer, not
 * while someone outside holds a reference. Refusals change nothing.
 */
static void test_remove_refused_while_held(void **state)
{
	static const struct node_spec nodes[] = {
		N("p1", "copro,test-provider", 1, 0),
		N("p2", "copro,test-provider", 2, 0),
		N("a", "copro,test-consumer", 0, 1),
		END,
	};
	struct copro_device *p1, *p2, *a;
	void *held;
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	ok(fx_probe(&f));
	p1 = copro_devices_find(f.devs, node_of(&f, "/p1"));
	p2 = copro_devices_find(f.devs, node_of(&f, "/p2"));
	a = copro_devices_find(f.devs, node_of(&f, "/a"));

	/* A bound consumer keeps its provider. */
	assert_int_equal(copro_device_remove(p1), -EBUSY);
	test_logcap_expect(&f.cap, "devs: cannot remove /p1 (driver prov):"
				   " /a still uses it through 'test-providers'");
	assert_ptr_equal(copro_devices_find(f.devs, node_of(&f, "/p1")), p1);
	/* An unused one goes alone. */
	ok(copro_device_remove(p2));
	assert_null(copro_devices_find(f.devs, node_of(&f, "/p2")));
	assert_int_equal(copro_devices_count(f.devs), 2);
	assert_int_equal(copro_device_remove(p2), -EINVAL);

	/* Someone outside the model holds p1: remove-all stops there. */
	held = copro_platform_provider_get(f.p, KIND, node_of(&f, "/p1"));
	assert_ptr_equal(held, p1);
	test_logcap_clear(&f.cap);
	assert_int_equal(copro_devices_remove_all(f.devs), -EBUSY);
	test_logcap_expect(&f.cap, "cannot unregister the test provider /p1:"
				   " 1 reference still held by consumers");
	test_logcap_expect(&f.cap, "cannot remove /p1 (driver prov)");
	/* The consumer went; the provider stays, registered and found. */
	assert_null(copro_devices_find(f.devs, node_of(&f, "/a")));
	(void)a;
	assert_int_equal(copro_devices_count(f.devs), 1);
	assert_ptr_equal(copro_platform_provider_find(f.p, KIND,
						      node_of(&f, "/p1")),
			 p1);
	copro_platform_provider_put(f.p, KIND, held);
	ok(copro_devices_remove_all(f.devs));
	f.devs = NULL;
	fx_close(&f);
}

static void test_bad_driver_table(void **state)
{
	static const struct node_spec nodes[] = { END };
	static const struct copro_driver nameless = {
		NULL, prov_compat, NULL, prov_probe, prov_remove,
	};
	static const struct copro_driver *const bad[] = { &nameless, NULL };
	struct fx f;

	(void)state;
	fx_open(&f, nodes);
	f.dc.drivers = bad;
	assert_int_equal(fx_probe(&f), -EINVAL);
	test_logcap_expect(&f.cap, "driver table '(unnamed)' lacks");
	/* No node binds: an empty set is a success. */
	f.dc.drivers = test_drivers;
	ok(fx_probe(&f));
	assert_int_equal(copro_devices_count(f.devs), 0);
	assert_null(copro_devices_find_compatible(f.devs, NULL, NULL));
	fx_close(&f);
	assert_int_equal(copro_devices_probe_all(NULL, NULL, &f.devs), -EINVAL);
	assert_int_equal(copro_devices_remove_all(NULL), 0);
}

/* ---- the real drivers on t8103 -------------------------------------------- */

/*
 * A second client of the NVMe's SART: "copro,test-sart-client" nodes get
 * it by reference and keep an entry in it while bound.
 */
struct sart_client {
	struct copro_sart *sart;
	struct copro_sart_handle h;
	struct copro_dma_buf buf;
};

static int sc_probe(struct copro_device *dev)
{
	struct copro_platform *p = copro_device_platform(dev);
	struct sart_client *c = calloc(1, sizeof(*c));
	int rc;

	assert_non_null(c);
	rc = copro_sart_get_dt(p, copro_device_node(dev), &c->sart);
	if (!rc)
		rc = copro_dma_alloc(p, 4096, &c->buf);
	if (!rc)
		rc = copro_sart_allow(c->sart, c->buf.phys, c->buf.size, &c->h);
	assert_int_equal(rc, 0);
	copro_device_set_data(dev, c);
	return 0;
}

static int sc_remove(struct copro_device *dev)
{
	struct sart_client *c = copro_device_data(dev);

	ok(copro_sart_revoke(c->sart, &c->h));
	copro_dma_free(copro_device_platform(dev), &c->buf);
	copro_sart_put(c->sart);
	free(c);
	return 0;
}

static const struct copro_driver_need sc_needs[] = {
	{ "apple,sart", NULL, COPRO_SART_PROVIDER },
	{ NULL, NULL, NULL },
};
COMPAT(sc_compat, "copro,test-sart-client");
static const struct copro_driver sc_drv = {
	"sart-client", sc_compat, sc_needs, sc_probe, sc_remove,
};

/* t8103 plus /soc/sart-client pointing at the NVMe's SART, as a file. */
static void write_board(char *path, size_t len)
{
	struct test_dtb_edit *e = test_dtb_edit_board("t8103");
	/* Fails the test when the SART is missing or has no phandle. */
	uint32_t ph = test_dtb_edit_phandle(e, "/soc/iommu@27bc50000");
	size_t size;
	void *blob;
	int fd;

	test_dtb_edit_add(e, "/soc", "sart-client");
	test_dtb_edit_str(e, "/soc/sart-client", "compatible",
			  "copro,test-sart-client");
	test_dtb_edit_u32(e, "/soc/sart-client", "apple,sart", ph);
	blob = test_dtb_edit_finish(e, &size);
	snprintf(path, len, "/tmp/copro-devices-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, blob, size), (ssize_t)size);
	close(fd);
	free(blob);
}

/*
 * The whole host side of t8103 by one pass, consumer-first driver list
 * and all: mailbox and SART before NVMe, NVMe and a second client
 * sharing the SART, I/O working, and everything gone again, in reverse.
 */
static void test_t8103_shared_sart(void **state)
{
	const struct copro_driver *const drivers[] = {
		copro_nvme_driver(), &sc_drv, copro_sart_driver(),
		copro_asc_driver(), NULL,
	};
	const struct copro_devices_config dc = { .drivers = drivers };
	struct copro_board_config bc = { .threaded = true };
	struct test_logcap cap;
	struct copro_board *b;
	struct copro_devices *devs;
	struct copro_device *dev, *sart_dev;
	struct copro_nvme *nvme;
	struct copro_sart *sart;
	const char *order[4];
	unsigned n = 0;
	char path[64];
	uint8_t buf[4096], back[4096];

	(void)state;
	ok(test_logcap_init(&cap));
	copro_log_set_level(test_logcap_log(&cap), COPRO_LOG_INFO);
	write_board(path, sizeof(path));
	bc.board = path;
	bc.log = test_logcap_log(&cap);
	ok(copro_board_create(&bc, &b));
	unlink(path);

	ok(copro_devices_probe_all(copro_board_platform(b), &dc, &devs));
	assert_int_equal(copro_devices_count(devs), 4);
	for (dev = copro_devices_find_compatible(devs, NULL, NULL); dev;
	     dev = copro_devices_find_compatible(devs, NULL, dev))
		order[n++] = copro_device_driver(dev)->name;
	assert_int_equal(n, 4);
	/* Providers first, in tree order: mailbox, SART; then consumers. */
	assert_string_equal(order[0], "asc");
	assert_string_equal(order[1], "sart");
	assert_string_equal(order[2], "nvme");
	assert_string_equal(order[3], "sart-client");

	sart_dev = copro_devices_find_compatible(devs, "apple,t8103-sart", NULL);
	assert_non_null(sart_dev);
	sart = copro_device_data(sart_dev);
	assert_int_equal(copro_platform_provider_refs(copro_board_platform(b),
						      COPRO_SART_PROVIDER,
						      sart),
			 2);
	nvme = copro_nvme_from_device(
		copro_devices_find_compatible(devs, COPRO_NVME_COMPATIBLE, NULL));
	assert_non_null(nvme);
	memset(buf, 0x5c, sizeof(buf));
	ok(copro_nvme_write(nvme, 0, buf, sizeof(buf), true));
	ok(copro_nvme_read(nvme, 0, back, sizeof(back)));
	assert_memory_equal(buf, back, sizeof(buf));

	/* The SART is shared: it stays while either client is bound. */
	assert_int_equal(copro_device_remove(sart_dev), -EBUSY);
	test_logcap_expect(&cap, "cannot remove /soc/iommu@27bc50000 (driver"
				 " sart): /soc/nvme@27bcc0000 still uses it"
				 " through 'apple,sart'");
	test_logcap_clear(&cap);
	dev = copro_devices_find_compatible(devs, "copro,test-sart-client",
					    NULL);
	ok(copro_device_remove(dev));
	assert_int_equal(copro_platform_provider_refs(copro_board_platform(b),
						      COPRO_SART_PROVIDER,
						      sart),
			 1);
	ok(copro_nvme_read(nvme, 0, back, sizeof(back)));
	assert_memory_equal(buf, back, sizeof(buf));

	ok(copro_devices_remove_all(devs));
	copro_board_destroy(b);
	if (test_logcap_contains(&cap, "still")) {
		test_logcap_dump(&cap);
		fail_msg("the board was left with resources held");
	}
	test_logcap_destroy(&cap);
}

/* The built-in list binds the whole board; the t6000 too. */
static void test_builtin_drivers(void **state)
{
	static const char *const boards[] = { "t8103", "t6000" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct copro_board_config bc = { .board = boards[i],
						  .threaded = true };
		struct copro_board *b;
		struct copro_devices *devs;

		ok(copro_board_create(&bc, &b));
		ok(copro_devices_probe_all(copro_board_platform(b), NULL,
					   &devs));
		assert_non_null(copro_nvme_from_device(
			copro_devices_find_compatible(devs, COPRO_NVME_COMPATIBLE,
						      NULL)));
		assert_non_null(copro_devices_find_compatible(
			devs, COPRO_ASC_COMPATIBLE, NULL));
		ok(copro_devices_remove_all(devs));
		copro_board_destroy(b);
	}
	assert_ptr_equal(copro_builtin_drivers()[0], copro_asc_driver());
	assert_ptr_equal(copro_builtin_drivers()[1], copro_sart_driver());
	assert_ptr_equal(copro_builtin_drivers()[2], copro_nvme_driver());
	assert_ptr_equal(copro_builtin_drivers()[3], copro_smc_mbox_driver());
	assert_ptr_equal(copro_builtin_drivers()[4], copro_scmi_driver());
	assert_null(copro_builtin_drivers()[5]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_providers_first),
		cmocka_unit_test(test_missing_provider),
		cmocka_unit_test(test_disabled_provider),
		cmocka_unit_test(test_bound_but_not_providing),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_probe_error_rolls_back),
		cmocka_unit_test(test_probe_defers_itself),
		cmocka_unit_test(test_remove_refused_while_held),
		cmocka_unit_test(test_bad_driver_table),
		cmocka_unit_test(test_t8103_shared_sart),
		cmocka_unit_test(test_builtin_drivers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
