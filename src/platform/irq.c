// SPDX-License-Identifier: MIT
/*
 * Interrupt handles: the devicetree lookup and the handle are the front
 * end's; delivery (the interrupt thread, polling, level semantics, the
 * guarantees of disable) is the backend's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform/platform_internal.h"

int copro_irq_request(struct copro_platform *p, unsigned line,
		      copro_irq_handler_t handler, void *ctx, const char *name,
		      struct copro_irq **out)
{
	struct copro_irq *irq;
	int rc;

	*out = NULL;
	if (!name)
		name = "?";
	if (!handler) {
		copro_dev_err(&p->ld, "irq: cannot request line %u for '%s': no handler",
			      line, name);
		return -EINVAL;
	}
	irq = calloc(1, sizeof(*irq));
	if (!irq)
		return -ENOMEM;
	irq->p = p;
	irq->line = line;
	snprintf(irq->name, sizeof(irq->name), "%s", name);
	copro_mutex_lock(&p->pr_lock);
	copro_plat_handle_add(p, &irq->h, PH_IRQ);
	copro_mutex_unlock(&p->pr_lock);
	/*
	 * The handler may run before the backend returns (the line may be
	 * asserted already), and may use the handle the caller stores: it
	 * must be in place, and the backend sets the cookie before it lets
	 * the handler run.
	 */
	*out = irq;
	rc = p->ops->irq_request(p->be, line, handler, ctx, name, &irq->cookie);
	if (rc) {
		*out = NULL;
		copro_mutex_lock(&p->pr_lock);
		copro_plat_handle_del(p, &irq->h);
		copro_mutex_unlock(&p->pr_lock);
		free(irq);
	}
	return rc;
}

int copro_irq_request_dt(struct copro_platform *p, int node, const char *name,
			 unsigned index, copro_irq_handler_t handler,
			 void *ctx, struct copro_irq **out)
{
	char label[48];
	unsigned line;
	int rc;

	*out = NULL;
	rc = name ? copro_dt_irq_by_name(p->dt, node, name, &line)
		  : copro_dt_irq(p->dt, node, index, &line);
	if (rc)
		return rc;
	if (name)
		snprintf(label, sizeof(label), "%s:%s",
			 copro_dt_node_name(p->dt, node), name);
	else
		snprintf(label, sizeof(label), "%s:%u",
			 copro_dt_node_name(p->dt, node), index);
	return copro_irq_request(p, line, handler, ctx, label, out);
}

void copro_irq_free(struct copro_irq *irq)
{
	if (!irq)
		return;
	copro_mutex_lock(&irq->p->pr_lock);
	copro_plat_handle_del(irq->p, &irq->h);
	copro_mutex_unlock(&irq->p->pr_lock);
	irq->p->ops->irq_free(irq->p->be, irq->cookie);
	free(irq);
}

void copro_irq_enable(struct copro_irq *irq)
{
	irq->p->ops->irq_enable(irq->p->be, irq->cookie);
}

void copro_irq_disable(struct copro_irq *irq)
{
	irq->p->ops->irq_disable(irq->p->be, irq->cookie);
}

unsigned copro_irq_line(const struct copro_irq *irq)
{
	return irq->line;
}
