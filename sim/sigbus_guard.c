/* SPDX-License-Identifier: MIT */
/*
 * The SIGBUS guard: a thread inside sigbus_guarded_copy leaves a jump
 * buffer in its thread-local slot; the handler jumps back to it. The
 * handler runs with SA_NODEFER, so jumping out of it leaves SIGBUS
 * unblocked and the next fault is caught the same way.
 *
 * A SIGBUS outside a guarded copy goes to the action ours replaced. That
 * is process-wide state, as signal actions are: two slots, the one in use
 * named by an index, so a handler reads a whole one while install writes
 * the other (unless two installs fall within one handler's run).
 * sigbus_guard_install puts the handler back when a disk is mapped and
 * some other handler has taken its place (a test harness puts its own
 * around each test, then restores the one before it).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "sigbus_guard.h"

static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction guard_prev[2];
static _Atomic unsigned guard_slot;

/*
 * Initial-exec: the handler must not be the first to touch the slot (a
 * dynamic TLS access may allocate). A pointer fits the static TLS a
 * dlopen'ed library (the nbdkit plugin) may still use.
 */
static __thread sigjmp_buf *guard_jmp __attribute__((tls_model("initial-exec")));

static void pass_on(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *prev =
		&guard_prev[atomic_load_explicit(&guard_slot,
						 memory_order_acquire)];

	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	/* Sent, not a fault: ignored if it was, fatal if it was not. */
	if (si->si_code <= 0) {
		if (prev->sa_handler == SIG_DFL) {
			signal(SIGBUS, SIG_DFL);
			raise(SIGBUS);
		}
		return;
	}
	/* A fault: the instruction runs again, and the default kills. */
	signal(SIGBUS, SIG_DFL);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = guard_jmp;

	if (jb && si->si_code > 0) {
		guard_jmp = NULL;
		siglongjmp(*jb, 1);
	}
	pass_on(sig, si, uc);
}

static bool ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_sigbus;
}

int sigbus_guard_install(void)
{
	struct sigaction sa, now;
	int ret = 0;

	pthread_mutex_lock(&guard_lock);
	if (sigaction(SIGBUS, NULL, &now) < 0) {
		ret = -errno;
		goto out;
	}
	if (ours(&now))
		goto out;
	/* The slot not in use takes the action we replace. */
	unsigned next = atomic_load_explicit(&guard_slot,
					     memory_order_relaxed) ^ 1u;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	guard_prev[next] = now;
	atomic_store_explicit(&guard_slot, next, memory_order_release);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		ret = -errno;
out:
	pthread_mutex_unlock(&guard_lock);
	return ret;
}

int sigbus_guarded_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0))
		return -EFAULT;
	guard_jmp = &jb;
	/* The slot is set before the copy starts and cleared after it ends. */
	atomic_signal_fence(memory_order_seq_cst);
	memcpy(dst, src, n);
	atomic_signal_fence(memory_order_seq_cst);
	guard_jmp = NULL;
	return 0;
}
