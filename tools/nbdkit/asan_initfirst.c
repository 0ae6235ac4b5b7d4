/* SPDX-License-Identifier: MIT */
/*
 * Sanitizer builds only: preloaded into nbdkit beside the ASan runtime,
 * so that a sanitized plugin can run in an nbdkit that is not.
 *
 * A preloaded ASan runtime initializes lazily, on the first malloc. In
 * nbdkit that is inside libp11-kit's constructor, in newlocale() with
 * glibc's setlocale lock held; ASan's initialization calls dlerror(),
 * which takes and releases the same lock and so unbalances it, and the
 * process then hangs at exit in p11-kit's freelocale(). Linked with
 * -z initfirst, this constructor runs before every other one and brings
 * ASan up while no lock is held.
 */
void __asan_init(void);

__attribute__((constructor)) static void asan_init_first(void)
{
	__asan_init();
}
