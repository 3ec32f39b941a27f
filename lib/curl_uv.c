/* curl_uv.c - libcurl multi_socket on libuv (see curl_uv.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "shrinkwatch/curl_uv.h"
#include "shrinkwatch/log.h"
#include "shrinkwatch/banned.h"

struct xfer {
	struct xfer *next, **prevp;
	CURL *easy;
	curl_uv_done_fn done;
	void *ctx;
};

struct sock {
	struct sock *next, **prevp;
	uv_poll_t poll;
	curl_socket_t fd;
	struct curl_uv *cu;
};

struct curl_uv {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct xfer *xfers;
	struct sock *socks;
	int open; /* libuv handles not yet closed */
	bool closing;
};

static void maybe_free(struct curl_uv *cu)
{
	if (cu->closing && cu->open == 0)
		free(cu);
}

static void sock_closed(uv_handle_t *h)
{
	struct sock *s = h->data;
	struct curl_uv *cu = s->cu;

	free(s);
	cu->open--;
	maybe_free(cu);
}

static void sock_close(struct sock *s)
{
	*s->prevp = s->next;
	if (s->next)
		s->next->prevp = s->prevp;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_closed);
}

static void finished(struct curl_uv *cu)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cu->multi, &left))) {
		struct xfer *x = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(cu->multi, easy);
		*x->prevp = x->next;
		if (x->next)
			x->next->prevp = x->prevp;
		x->done(x->ctx, easy, rc);
		free(x);
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = p->data;
	struct curl_uv *cu = s->cu;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cu->multi, s->fd, flags, &running);
	finished(cu);
}

static void on_timeout(uv_timer_t *t)
{
	struct curl_uv *cu = t->data;
	int running;

	curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finished(cu);
}

static int timer_fn(CURLM *multi, long ms, void *userp)
{
	struct curl_uv *cu = userp;
	(void)multi;

	if (cu->closing)
		return 0;
	if (ms < 0)
		uv_timer_stop(&cu->timer);
	else
		uv_timer_start(&cu->timer, on_timeout, (uint64_t)ms, 0);
	return 0;
}

static int socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curl_uv *cu = userp;
	struct sock *s = socketp;
	int events = 0;
	(void)easy;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(cu->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return -1;
		s->fd = fd;
		s->cu = cu;
		if (uv_poll_init_socket(cu->loop, &s->poll, fd)) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		cu->open++;
		s->next = cu->socks;
		if (s->next)
			s->next->prevp = &s->next;
		s->prevp = &cu->socks;
		cu->socks = s;
		curl_multi_assign(cu->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (events)
		uv_poll_start(&s->poll, events, on_poll);
	else
		uv_poll_stop(&s->poll); /* CURL_POLL_NONE: keep the socket, wait for nothing */
	return 0;
}

int curl_uv_new(uv_loop_t *loop, struct curl_uv **out)
{
	static bool global_done;
	struct curl_uv *cu;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return -EIO;
		global_done = true;
	}
	cu = calloc(1, sizeof *cu);
	if (!cu)
		return -ENOMEM;
	cu->loop = loop;
	cu->multi = curl_multi_init();
	if (!cu->multi) {
		free(cu);
		return -EIO;
	}
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
	uv_timer_init(loop, &cu->timer);
	cu->timer.data = cu;
	cu->open = 1;
	*out = cu;
	return 0;
}

int curl_uv_add(struct curl_uv *cu, CURL *easy, curl_uv_done_fn done, void *ctx)
{
	struct xfer *x;

	if (cu->closing)
		return -ESHUTDOWN;
	x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->easy = easy;
	x->done = done;
	x->ctx = ctx;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
	if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
		free(x);
		return -EIO;
	}
	x->next = cu->xfers;
	if (x->next)
		x->next->prevp = &x->next;
	x->prevp = &cu->xfers;
	cu->xfers = x;
	return 0;
}

void curl_uv_remove(struct curl_uv *cu, CURL *easy)
{
	for (struct xfer *x = cu->xfers; x; x = x->next)
		if (x->easy == easy) {
			curl_multi_remove_handle(cu->multi, easy);
			*x->prevp = x->next;
			if (x->next)
				x->next->prevp = x->prevp;
			free(x);
			return;
		}
}

static void timer_closed(uv_handle_t *h)
{
	struct curl_uv *cu = h->data;

	cu->open--;
	maybe_free(cu);
}

void curl_uv_free(struct curl_uv *cu)
{
	if (!cu)
		return;
	cu->closing = true;
	while (cu->xfers) {
		struct xfer *x = cu->xfers;

		cu->xfers = x->next;
		if (cu->xfers)
			cu->xfers->prevp = &cu->xfers;
		curl_multi_remove_handle(cu->multi, x->easy);
		x->done(x->ctx, x->easy, CURLE_ABORTED_BY_CALLBACK);
		free(x);
	}
	curl_multi_cleanup(cu->multi);
	cu->multi = NULL;
	while (cu->socks)
		sock_close(cu->socks);
	uv_timer_stop(&cu->timer);
	uv_close((uv_handle_t *)&cu->timer, timer_closed);
}
