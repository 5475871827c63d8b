/*
 * DOC: the FIB's own rtnetlink socket (fib_sock.c): windows of requests,
 * acknowledgement of the last one only, errors matched by sequence number.
 */
#ifndef TABBY_DP_FIB_SOCK_H
#define TABBY_DP_FIB_SOCK_H

#include <stddef.h>
#include <stdint.h>

#define FIB_SOCK_WINDOW 1024 /* requests per sendmsg() */

struct fib_sock;

/* In the calling thread's network namespace. */
int fib_sock_open(struct fib_sock **out);
void fib_sock_close(struct fib_sock *s);

/*
 * buf holds n netlink requests back to back (len bytes); their sequence
 * numbers and NLM_F_ACK are set here. errs[i] is 0 or the negative errno of
 * request i; ext gets the kernel's text of the first failure. Returns 0, or
 * a negative errno if the socket failed.
 */
int fib_sock_send(struct fib_sock *s, char *buf, size_t len, size_t n, int *errs, char *ext,
                  size_t ext_len);

#endif
