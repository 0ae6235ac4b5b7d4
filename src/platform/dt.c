// SPDX-License-Identifier: MIT
/*
 * Devicetree: opening a blob (built-in board or file), node lookup and
 * plain properties. Addresses, interrupts, references and the board-wide
 * checks live in dt_reg.c, dt_irq.c, dt_ref.c and dt_validate.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/dt_internal.h"

/* No real board comes near this; a bigger header is corrupt or hostile. */
#define DT_MAX_BLOB (64u << 20)

void copro_dt_err(const struct copro_dt *dt, int node, const char *fmt, ...)
{
	char msg[512];
	char path[COPRO_DT_PATH_MAX];
	va_list ap;

	if (!copro_log_enabled(dt->ld.log, COPRO_LOG_ERR))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node < 0)
		copro_dev_err(&dt->ld, "%s", msg);
	else
		copro_dev_err(&dt->ld, "%s: %s",
			      copro_dt_node_path(dt, node, path, sizeof(path)),
			      msg);
}

/* ---- opening -------------------------------------------------------- */

int copro_dt_open(const void *blob, size_t len, const char *name,
		  struct copro_log *log, struct copro_dt **out)
{
	struct copro_logdev ld;
	struct fdt_header hdr;
	struct copro_dt *dt;
	uint32_t total;
	int rc;

	*out = NULL;
	if (!name)
		name = "dtb";
	copro_logdev_init(&ld, log, "%s", name);
	if (!blob || len < sizeof(struct fdt_header)) {
		copro_dev_err(&ld, "%zu bytes is too short for a devicetree blob",
			      blob ? len : 0);
		return -COPRO_EDT;
	}
	/* The caller's buffer may be unaligned: read the header from a copy. */
	memcpy(&hdr, blob, sizeof(hdr));
	if (fdt_magic(&hdr) != FDT_MAGIC) {
		copro_dev_err(&ld,
			      "not a devicetree blob (magic 0x%08x, expected 0x%08x)",
			      fdt_magic(&hdr), FDT_MAGIC);
		return -COPRO_EDT;
	}
	/*
	 * dtc has written version 17 since 2007. Older layouts take little
	 * used paths through libfdt (fdt_check_full crashes on some), so
	 * they are refused here rather than trusted.
	 */
	if (fdt_version(&hdr) < 17 || fdt_last_comp_version(&hdr) > 17) {
		copro_dev_err(&ld,
			      "devicetree blob version %u (compatible with %u) is not supported (need 17)",
			      fdt_version(&hdr), fdt_last_comp_version(&hdr));
		return -COPRO_EDT;
	}
	total = fdt_totalsize(&hdr);
	if (total > len || total > DT_MAX_BLOB ||
	    total < sizeof(struct fdt_header)) {
		copro_dev_err(&ld,
			      "devicetree header claims %u bytes but %zu are present (truncated or corrupt)",
			      total, len);
		return -COPRO_EDT;
	}

	dt = calloc(1, sizeof(*dt));
	if (!dt)
		return -ENOMEM;
	/* libfdt reads cells in place: give it an aligned private copy. */
	dt->blob = aligned_alloc(8, (total + 7u) & ~7u);
	dt->name = strdup(name);
	if (!dt->blob || !dt->name) {
		copro_dt_close(dt);
		return -ENOMEM;
	}
	memcpy(dt->blob, blob, total);
	dt->size = total;
	dt->ld = ld;

	rc = fdt_check_full(dt->blob, total);
	if (rc) {
		copro_dev_err(&ld, "malformed devicetree blob: %s",
			      fdt_strerror(rc));
		copro_dt_close(dt);
		return -COPRO_EDT;
	}
	*out = dt;
	return 0;
}

/*
 * Reads the whole file (at most DT_MAX_BLOB bytes). Only a regular file:
 * a FIFO would be read forever, a directory fails obscurely.
 */
static int read_file(const char *path, void **data, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	FILE *f;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return rc;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "rb");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		if (n == cap) {
			unsigned char *nb;

			if (cap >= DT_MAX_BLOB) {
				rc = -EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* Why read_file failed, for a message. */
static const char *unreadable(int rc)
{
	switch (rc) {
	case -EISDIR: return "it is a directory";
	case -EINVAL: return "it is not a regular file (a FIFO, device or socket)";
	default: return copro_strerror(rc);
	}
}

/* Source is refused with the command that compiles it (tools use dtc). */
static int open_blob(const void *data, size_t len, const char *path,
		     struct copro_log *log, struct copro_dt **out)
{
	if (len >= 8 && !memcmp(data, "/dts-v1/", 8)) {
		struct copro_logdev ld;

		copro_logdev_init(&ld, log, "%s", path);
		copro_dev_err(&ld,
			      "this is devicetree source, not a .dtb: compile it with 'dtc -I dts -O dtb -o board.dtb %s'",
			      path);
		return -EINVAL;
	}
	return copro_dt_open(data, len, path, log, out);
}

int copro_dt_open_file(const char *path, struct copro_log *log,
		       struct copro_dt **out)
{
	void *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_file(path, &data, &len);
	if (rc) {
		struct copro_logdev ld;

		copro_logdev_init(&ld, log, "%s", path);
		copro_dev_err(&ld, "cannot read devicetree blob: %s",
			      unreadable(rc));
		return rc;
	}
	rc = open_blob(data, len, path, log, out);
	free(data);
	return rc;
}

void copro_dt_close(struct copro_dt *dt)
{
	if (!dt)
		return;
	free(dt->blob);
	free(dt->name);
	free(dt);
}

const void *copro_dt_blob(const struct copro_dt *dt)
{
	return dt->blob;
}

const char *copro_dt_name(const struct copro_dt *dt)
{
	return dt->name;
}

struct copro_log *copro_dt_log(const struct copro_dt *dt)
{
	return dt->ld.log;
}

/* ---- nodes ------------------------------------------------------------ */

int copro_dt_path(const struct copro_dt *dt, const char *path)
{
	int node = fdt_path_offset(dt->blob, path);

	if (node < 0) {
		copro_dt_err(dt, -1, "no node at path '%s'", path);
		return -ENOENT;
	}
	return node;
}

int copro_dt_next_compatible(const struct copro_dt *dt, int from,
			     const char *compat)
{
	int node = from < 0 ? -1 : from;

	for (;;) {
		node = fdt_node_offset_by_compatible(dt->blob, node, compat);
		if (node < 0)
			return -ENOENT;
		if (copro_dt_enabled(dt, node))
			return node;
	}
}

int copro_dt_by_phandle(const struct copro_dt *dt, uint32_t phandle)
{
	int node = -FDT_ERR_NOTFOUND;

	if (phandle != 0 && phandle != (uint32_t)-1)
		node = fdt_node_offset_by_phandle(dt->blob, phandle);
	if (node < 0) {
		copro_dt_err(dt, -1, "no node has phandle 0x%x", phandle);
		return -ENOENT;
	}
	return node;
}

int copro_dt_first_child(const struct copro_dt *dt, int node)
{
	int child = node >= 0 ? fdt_first_subnode(dt->blob, node) : -1;

	return child >= 0 ? child : -ENOENT;
}

int copro_dt_next_child(const struct copro_dt *dt, int child)
{
	int next = child >= 0 ? fdt_next_subnode(dt->blob, child) : -1;

	return next >= 0 ? next : -ENOENT;
}

bool copro_dt_is_compatible(const struct copro_dt *dt, int node,
			    const char *compat)
{
	return node >= 0 &&
	       fdt_node_check_compatible(dt->blob, node, compat) == 0;
}

bool copro_dt_enabled(const struct copro_dt *dt, int node)
{
	int len;
	const char *s = fdt_getprop(dt->blob, node, "status", &len);

	if (!s)
		return node >= 0 && fdt_get_name(dt->blob, node, NULL);
	return (len == 5 && !memcmp(s, "okay", 5)) ||
	       (len == 3 && !memcmp(s, "ok", 3));
}

const char *copro_dt_node_path(const struct copro_dt *dt, int node, char *buf,
			       size_t len)
{
	int rc;

	if (!len)
		return "";
	if (node < 0) {
		snprintf(buf, len, "<no node: %d>", node);
		return buf;
	}
	rc = fdt_get_path(dt->blob, node, buf, len > INT32_MAX ? INT32_MAX
							        : (int)len);
	if (rc == -FDT_ERR_NOSPACE)
		snprintf(buf, len, ".../%s", copro_dt_node_name(dt, node));
	else if (rc < 0)
		snprintf(buf, len, "<bad node offset %d>", node);
	return buf;
}

const char *copro_dt_node_name(const struct copro_dt *dt, int node)
{
	const char *name = node >= 0 ? fdt_get_name(dt->blob, node, NULL)
				     : NULL;

	if (!name)
		return "?";
	return name[0] ? name : "/";
}

/* ---- properties ------------------------------------------------------ */

bool copro_dt_has(const struct copro_dt *dt, int node, const char *prop)
{
	return node >= 0 && fdt_getprop(dt->blob, node, prop, NULL) != NULL;
}

/* The property, or NULL after logging why not (absent: -ENOENT). */
static const void *need_prop(const struct copro_dt *dt, int node,
			     const char *prop, int *len, int *err)
{
	const void *v = fdt_getprop(dt->blob, node, prop, len);

	if (!v) {
		*err = *len == -FDT_ERR_NOTFOUND ? -ENOENT : -EINVAL;
		copro_dt_err(dt, node, "%s property '%s'",
			     *err == -ENOENT ? "missing" : "cannot read", prop);
	}
	return v;
}

int copro_dt_u32(const struct copro_dt *dt, int node, const char *prop,
		 uint32_t *out)
{
	int len, err;
	const fdt32_t *v = need_prop(dt, node, prop, &len, &err);

	if (!v)
		return err;
	if (len != 4) {
		copro_dt_err(dt, node, "property '%s' has %d bytes, expected 4",
			     prop, len);
		return -COPRO_EDT;
	}
	*out = fdt32_to_cpu(*v);
	return 0;
}

int copro_dt_u64(const struct copro_dt *dt, int node, const char *prop,
		 uint64_t *out)
{
	int len, err;
	const fdt32_t *v = need_prop(dt, node, prop, &len, &err);

	if (!v)
		return err;
	if (len != 4 && len != 8) {
		copro_dt_err(dt, node,
			     "property '%s' has %d bytes, expected 8 (or 4)", prop,
			     len);
		return -COPRO_EDT;
	}
	*out = copro_dt_read_cells(v, (unsigned)len / 4);
	return 0;
}

int copro_dt_string(const struct copro_dt *dt, int node, const char *prop,
		    const char **out)
{
	int len, err;
	const char *v = need_prop(dt, node, prop, &len, &err);

	if (!v)
		return err;
	if (len == 0 || !memchr(v, '\0', (size_t)len)) {
		copro_dt_err(dt, node,
			     "property '%s' (%d bytes) is not a NUL-terminated string",
			     prop, len);
		return -COPRO_EDT;
	}
	*out = v;
	return 0;
}

int copro_dt_string_index(const struct copro_dt *dt, int node,
			  const char *prop, const char *name)
{
	int len, err, idx;
	const char *v = need_prop(dt, node, prop, &len, &err);
	char have[160];
	size_t used = 0;

	if (!v)
		return err;
	idx = fdt_stringlist_search(dt->blob, node, prop, name);
	if (idx >= 0)
		return idx;
	if (idx != -FDT_ERR_NOTFOUND) {
		copro_dt_err(dt, node,
			     "property '%s' is not a list of NUL-terminated strings",
			     prop);
		return -COPRO_EDT;
	}
	have[0] = '\0';
	for (int i = 0; used < sizeof(have); i++) {
		const char *s = fdt_stringlist_get(dt->blob, node, prop, i, NULL);

		if (!s)
			break;
		used += (size_t)snprintf(have + used, sizeof(have) - used,
					 "%s'%s'", i ? ", " : "", s);
	}
	copro_dt_err(dt, node, "property '%s' has no entry '%s' (it has %s)",
		     prop, name, have[0] ? have : "none");
	return -ENOENT;
}
