/*
 * probe: a tiny static test payload for skiff.
 *
 * Prints ONE JSON object describing the environment it sees (ids, caps,
 * namespaces, mounts, rlimits, fds, tty, signals, ...) and exits.  Meant to
 * run as the process of a test container; depends on nothing but libc and
 * never crashes when /proc (or anything else) is missing: failures are
 * reported in the "errors" array and the affected field is null.
 *
 * Usage: probe [--out FILE] [--sleep SECONDS|inf] [--exit N]
 *              [--write FILE CONTENT] [--read FILE] [--no-print] [-- ARGS...]
 *
 * Build: gcc -std=c11 -static -O2 -Wall -Wextra -Werror -o probe probe.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------------ */
/* growable byte buffer                                                      */

struct buf {
    char *p;
    size_t len, cap;
};

static void die_oom(void)
{
    static const char msg[] = "probe: out of memory\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(111);
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            die_oom();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        die_oom();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, big, (size_t)n);
    free(big);
}

/* ------------------------------------------------------------------------ */
/* errors                                                                    */

static struct buf g_errors; /* NUL-separated list of messages */
static size_t g_nerrors;

static const char *errname(int e)
{
    static char fallback[32];
    const char *n = strerrorname_np(e);
    if (n)
        return n;
    snprintf(fallback, sizeof fallback, "E%d", e);
    return fallback;
}

static void add_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_error(const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;
    buf_add(&g_errors, tmp, (size_t)n + 1); /* keep the NUL as separator */
    g_nerrors++;
}

/* ------------------------------------------------------------------------ */
/* JSON writer                                                               */

static struct buf J;
static int j_first[64]; /* per nesting level: nothing emitted yet */
static int j_depth;
static int j_after_key;

static void j_sep(void)
{
    if (j_after_key) {
        j_after_key = 0;
        return;
    }
    if (j_depth > 0) {
        if (!j_first[j_depth])
            buf_add(&J, ",", 1);
        j_first[j_depth] = 0;
    }
}

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Escape n bytes as a JSON string.  Control characters become \u00XX, '"' and
 * '\\' are escaped, valid UTF-8 passes through; bytes that are not part of a
 * valid UTF-8 sequence are written as \u00XX so the output is always valid
 * UTF-8 (byte 0xff reads back as U+00FF). */
static void j_strn(const char *s, size_t n)
{
    j_sep();
    buf_add(&J, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"') {
            buf_add(&J, "\\\"", 2);
            i++;
        } else if (c == '\\') {
            buf_add(&J, "\\\\", 2);
            i++;
        } else if (c == '\n') {
            buf_add(&J, "\\n", 2);
            i++;
        } else if (c == '\t') {
            buf_add(&J, "\\t", 2);
            i++;
        } else if (c == '\r') {
            buf_add(&J, "\\r", 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(&J, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            size_t j = i + 1;
            while (j < n && u[j] >= 0x20 && u[j] < 0x7f && u[j] != '"' && u[j] != '\\')
                j++;
            buf_add(&J, s + i, j - i);
            i = j;
        } else {
            size_t l = utf8_seq(u + i, n - i);
            if (l) {
                buf_add(&J, s + i, l);
                i += l;
            } else {
                buf_printf(&J, "\\u%04x", c);
                i++;
            }
        }
    }
    buf_add(&J, "\"", 1);
}

static void j_str(const char *s)
{
    if (!s) {
        j_sep();
        buf_puts(&J, "null");
        return;
    }
    j_strn(s, strlen(s));
}

static void j_key(const char *k)
{
    j_str(k);
    buf_add(&J, ":", 1);
    j_after_key = 1;
}

static void j_null(void)
{
    j_sep();
    buf_puts(&J, "null");
}

static void j_bool(int v)
{
    j_sep();
    buf_puts(&J, v ? "true" : "false");
}

static void j_int(long long v)
{
    j_sep();
    buf_printf(&J, "%lld", v);
}

static void j_uint(unsigned long long v)
{
    j_sep();
    buf_printf(&J, "%llu", v);
}

static void j_open(char c)
{
    j_sep();
    buf_add(&J, &c, 1);
    if (j_depth + 1 < (int)(sizeof j_first / sizeof j_first[0]))
        j_depth++;
    j_first[j_depth] = 1;
}

static void j_close(char c)
{
    buf_add(&J, &c, 1);
    if (j_depth > 0)
        j_depth--;
}

/* ------------------------------------------------------------------------ */
/* file helpers                                                              */

/* Read up to max bytes of a file (whole file if max == 0).  Returns a
 * malloc'ed NUL-terminated buffer (length in *len) or NULL with errno set. */
static char *read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct buf b = {0};
    char tmp[8192];
    for (;;) {
        size_t want = sizeof tmp;
        if (max && max - b.len < want)
            want = max - b.len;
        if (want == 0)
            break;
        ssize_t r = read(fd, tmp, want);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            free(b.p);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        buf_add(&b, tmp, (size_t)r);
    }
    close(fd);
    if (!b.p)
        buf_add(&b, "", 0);
    if (len)
        *len = b.len;
    return b.p;
}

static char *g_status; /* contents of /proc/self/status, or NULL */

/* Value of "Key:\t..." in /proc/self/status (copied into out, trimmed). */
static int status_field(const char *key, char *out, size_t outsz)
{
    if (!g_status)
        return -1;
    size_t kl = strlen(key);
    const char *line = g_status;
    while (line && *line) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            const char *v = line + kl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            const char *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n >= outsz)
                n = outsz - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

static void emit_status_str(const char *jkey, const char *skey)
{
    char v[256];
    j_key(jkey);
    if (status_field(skey, v, sizeof v) == 0) {
        j_str(v);
    } else {
        j_null();
        if (g_status)
            add_error("/proc/self/status: no %s line", skey);
    }
}

/* ------------------------------------------------------------------------ */
/* sections                                                                  */

static void emit_ids(void)
{
    j_key("pid");
    j_int(getpid());
    j_key("ppid");
    j_int(getppid());
    j_key("uid");
    j_uint(getuid());
    j_key("euid");
    j_uint(geteuid());
    j_key("gid");
    j_uint(getgid());
    j_key("egid");
    j_uint(getegid());

    j_key("groups");
    int n = getgroups(0, NULL);
    gid_t *gs = NULL;
    if (n >= 0) {
        gs = calloc((size_t)n + 1, sizeof *gs);
        if (!gs)
            die_oom();
        n = getgroups(n, gs);
    }
    if (n < 0) {
        add_error("getgroups: %s", errname(errno));
        j_null();
    } else {
        j_open('[');
        for (int i = 0; i < n; i++)
            j_uint(gs[i]);
        j_close(']');
    }
    free(gs);

    j_key("umask");
    char v[64];
    if (status_field("Umask", v, sizeof v) == 0) {
        j_int(strtol(v, NULL, 8));
    } else {
        mode_t m = umask(0);
        umask(m);
        j_int(m);
    }
}

static void emit_cwd_uts(void)
{
    j_key("cwd");
    char *cwd = getcwd(NULL, 0);
    if (cwd) {
        j_str(cwd);
        free(cwd);
    } else {
        add_error("getcwd: %s", errname(errno));
        j_null();
    }

    struct utsname u;
    if (uname(&u) == 0) {
        j_key("hostname");
        j_str(u.nodename);
        j_key("domainname");
        j_str(u.domainname);
    } else {
        add_error("uname: %s", errname(errno));
        j_key("hostname");
        j_null();
        j_key("domainname");
        j_null();
    }
}

static void emit_argv_env(int argc, char **argv)
{
    j_key("argv");
    j_open('[');
    for (int i = 0; i < argc; i++)
        j_str(argv[i]);
    j_close(']');

    j_key("env");
    j_open('[');
    for (char **e = environ; e && *e; e++)
        j_str(*e);
    j_close(']');
}

static void emit_caps_etc(void)
{
    j_key("caps");
    j_open('{');
    emit_status_str("inheritable", "CapInh");
    emit_status_str("permitted", "CapPrm");
    emit_status_str("effective", "CapEff");
    emit_status_str("bounding", "CapBnd");
    emit_status_str("ambient", "CapAmb");
    j_close('}');

    j_key("no_new_privs");
    int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (r < 0) {
        add_error("prctl(PR_GET_NO_NEW_PRIVS): %s", errname(errno));
        j_null();
    } else {
        j_int(r);
    }

    j_key("seccomp");
    char v[64];
    if (status_field("Seccomp", v, sizeof v) == 0) {
        j_int(strtol(v, NULL, 10));
    } else {
        if (g_status)
            add_error("/proc/self/status: no Seccomp line");
        j_null();
    }

    j_key("dumpable");
    r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (r < 0) {
        add_error("prctl(PR_GET_DUMPABLE): %s", errname(errno));
        j_null();
    } else {
        j_int(r);
    }
}

static void emit_namespaces(void)
{
    static const char *const ns[] = {
        "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
        "time", "time_for_children", "user", "uts",
    };
    struct stat dst;
    if (stat("/proc/self/ns", &dst) != 0)
        add_error("stat /proc/self/ns: %s", errname(errno));
    j_key("namespaces");
    j_open('{');
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
        j_key(ns[i]);
        if (stat(path, &st) == 0) {
            j_uint((unsigned long long)st.st_ino);
        } else {
            /* ENOENT: namespace type not supported by this kernel, or no /proc */
            if (errno != ENOENT)
                add_error("stat %s: %s", path, errname(errno));
            j_null();
        }
    }
    j_close('}');
}

/* Decode the \ooo escapes the kernel uses in mountinfo paths, in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void emit_mounts(void)
{
    j_key("mounts");
    char *data = read_file("/proc/self/mountinfo", 0, NULL);
    if (!data) {
        add_error("read /proc/self/mountinfo: %s", errname(errno));
        j_null();
        return;
    }
    j_open('[');
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        /* id parent maj:min root mountpoint options [optional...] - fstype source super */
        char *f[64];
        int nf = 0;
        char *s2 = NULL;
        for (char *t = strtok_r(line, " ", &s2); t && nf < 64; t = strtok_r(NULL, " ", &s2))
            f[nf++] = t;
        int dash = -1;
        for (int i = 6; i < nf; i++) {
            if (strcmp(f[i], "-") == 0) {
                dash = i;
                break;
            }
        }
        if (nf < 6 || dash < 0 || dash + 2 >= nf) {
            add_error("/proc/self/mountinfo: unparsable line");
            continue;
        }
        unescape_octal(f[3]);
        unescape_octal(f[4]);
        unescape_octal(f[dash + 2]);
        j_open('{');
        j_key("id");
        j_int(strtoll(f[0], NULL, 10));
        j_key("parent");
        j_int(strtoll(f[1], NULL, 10));
        j_key("major_minor");
        j_str(f[2]);
        j_key("mountpoint");
        j_str(f[4]);
        j_key("root");
        j_str(f[3]);
        j_key("fstype");
        j_str(f[dash + 1]);
        j_key("source");
        j_str(f[dash + 2]);
        j_key("options");
        j_str(f[5]);
        j_key("super_options");
        j_str(dash + 3 < nf ? f[dash + 3] : "");
        j_key("propagation");
        struct buf p = {0};
        buf_add(&p, "", 0);
        for (int i = 6; i < dash; i++) {
            if (i > 6)
                buf_add(&p, " ", 1);
            buf_puts(&p, f[i]);
        }
        j_str(p.p);
        free(p.p);
        j_close('}');
    }
    j_close(']');
    free(data);
}

static void emit_cgroup(void)
{
    j_key("cgroup");
    char *data = read_file("/proc/self/cgroup", 0, NULL);
    if (!data) {
        add_error("read /proc/self/cgroup: %s", errname(errno));
        j_null();
        return;
    }
    j_open('[');
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        j_str(line);
    j_close(']');
    free(data);
}

static void emit_rlimits(void)
{
    static const struct {
        const char *name;
        int res;
    } rl[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    j_key("rlimits");
    j_open('{');
    for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++) {
        struct rlimit r;
        j_key(rl[i].name);
        if (getrlimit(rl[i].res, &r) != 0) {
            add_error("getrlimit(%s): %s", rl[i].name, errname(errno));
            j_null();
            continue;
        }
        j_open('{');
        j_key("soft");
        if (r.rlim_cur == RLIM_INFINITY)
            j_int(-1);
        else
            j_uint((unsigned long long)r.rlim_cur);
        j_key("hard");
        if (r.rlim_max == RLIM_INFINITY)
            j_int(-1);
        else
            j_uint((unsigned long long)r.rlim_max);
        j_close('}');
    }
    j_close('}');
}

static void emit_oom(void)
{
    j_key("oom_score_adj");
    char *v = read_file("/proc/self/oom_score_adj", 64, NULL);
    if (!v) {
        add_error("read /proc/self/oom_score_adj: %s", errname(errno));
        j_null();
        return;
    }
    j_int(strtol(v, NULL, 10));
    free(v);
}

static void emit_fds(void)
{
    j_key("fds");
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        add_error("opendir /proc/self/fd: %s", errname(errno));
        j_null();
        return;
    }
    int self = dirfd(d);
    /* collect first, so the JSON is sorted by fd */
    int fds[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < sizeof fds / sizeof fds[0]) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        int fd = atoi(de->d_name);
        if (fd == self)
            continue;
        size_t k = n++;
        while (k > 0 && fds[k - 1] > fd) {
            fds[k] = fds[k - 1];
            k--;
        }
        fds[k] = fd;
    }
    j_open('[');
    for (size_t i = 0; i < n; i++) {
        char path[64], target[PATH_MAX + 1];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
        ssize_t l = readlink(path, target, sizeof target - 1);
        j_open('{');
        j_key("fd");
        j_int(fds[i]);
        j_key("target");
        if (l >= 0) {
            j_strn(target, (size_t)l);
        } else {
            add_error("readlink %s: %s", path, errname(errno));
            j_null();
        }
        j_close('}');
    }
    j_close(']');
    closedir(d);
}

static void emit_tty(void)
{
    j_key("tty");
    j_open('{');
    j_key("stdin");
    j_bool(isatty(0));
    j_key("stdout");
    j_bool(isatty(1));
    j_key("stderr");
    j_bool(isatty(2));
    j_key("name");
    char name[PATH_MAX];
    if (ttyname_r(0, name, sizeof name) == 0)
        j_str(name);
    else
        j_null();
    j_close('}');

    j_key("winsize");
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) {
        j_open('{');
        j_key("rows");
        j_int(ws.ws_row);
        j_key("cols");
        j_int(ws.ws_col);
        j_close('}');
    } else {
        j_null();
    }
}

static void emit_misc(void)
{
    j_key("personality");
    int p = personality(0xffffffff);
    if (p < 0) {
        add_error("personality: %s", errname(errno));
        j_null();
    } else {
        j_int(p);
    }

    /* sigmask: this thread's blocked set via sigprocmask, in the same 64-bit
     * hex layout the kernel uses in /proc/self/status (bit n-1 = signal n). */
    j_key("sigmask");
    sigset_t set;
    if (sigprocmask(SIG_BLOCK, NULL, &set) == 0) {
        unsigned long long m = 0;
        for (int s = 1; s <= 64; s++)
            if (sigismember(&set, s) == 1)
                m |= 1ULL << (s - 1);
        char hex[32];
        snprintf(hex, sizeof hex, "%016llx", m);
        j_str(hex);
    } else {
        add_error("sigprocmask: %s", errname(errno));
        j_null();
    }
    emit_status_str("sigignore", "SigIgn");
    emit_status_str("sigblk", "SigBlk");

    j_key("exe");
    char target[PATH_MAX + 1];
    ssize_t l = readlink("/proc/self/exe", target, sizeof target - 1);
    if (l >= 0) {
        j_strn(target, (size_t)l);
    } else {
        add_error("readlink /proc/self/exe: %s", errname(errno));
        j_null();
    }
}

/* ------------------------------------------------------------------------ */
/* --write / --read                                                          */

static const char *opt_write_path, *opt_write_content, *opt_read_path;

static void do_write(void)
{
    int ok = 0, err = 0;
    int fd = open(opt_write_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
        err = errno;
    } else {
        const char *s = opt_write_content;
        size_t n = strlen(s);
        while (n > 0) {
            ssize_t w = write(fd, s, n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                err = errno;
                break;
            }
            s += w;
            n -= (size_t)w;
        }
        if (close(fd) != 0 && !err)
            err = errno;
        ok = !err;
    }
    j_key("write");
    j_open('{');
    j_key("path");
    j_str(opt_write_path);
    j_key("ok");
    j_bool(ok);
    j_key("errno");
    j_str(ok ? NULL : errname(err));
    j_close('}');
}

static void do_read(void)
{
    size_t len = 0;
    char *data = read_file(opt_read_path, 4096, &len);
    int err = data ? 0 : errno;
    j_key("read");
    j_open('{');
    j_key("path");
    j_str(opt_read_path);
    j_key("ok");
    j_bool(data != NULL);
    j_key("errno");
    j_str(data ? NULL : errname(err));
    j_key("content");
    if (data)
        j_strn(data, len);
    else
        j_null();
    j_close('}');
    free(data);
}

/* ------------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void on_sigterm(int sig)
{
    (void)sig;
    _exit(0);
}

static void usage(void)
{
    static const char msg[] =
        "usage: probe [--out FILE] [--sleep SECONDS|inf] [--exit N]\n"
        "             [--write FILE CONTENT] [--read FILE] [--no-print] [-- ARGS...]\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int no_print = 0, do_sleep = 0;
    double sleep_secs = -1; /* < 0: forever */
    long exit_code = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0)
            continue; /* plain arguments are only reported in "argv" */
        int need = 0;
        if (!strcmp(a, "--out") || !strcmp(a, "--sleep") || !strcmp(a, "--exit") ||
            !strcmp(a, "--read"))
            need = 1;
        else if (!strcmp(a, "--write"))
            need = 2;
        else if (strcmp(a, "--no-print") != 0) {
            fprintf(stderr, "probe: unknown option %s\n", a);
            usage();
            return 2;
        }
        if (i + need >= argc) {
            fprintf(stderr, "probe: %s needs %d argument(s)\n", a, need);
            usage();
            return 2;
        }
        if (!strcmp(a, "--out")) {
            out = argv[++i];
        } else if (!strcmp(a, "--sleep")) {
            const char *v = argv[++i];
            do_sleep = 1;
            if (!strcmp(v, "inf") || !strcmp(v, "infinity")) {
                sleep_secs = -1;
            } else {
                char *end;
                sleep_secs = strtod(v, &end);
                if (end == v || *end) {
                    fprintf(stderr, "probe: bad --sleep value %s\n", v);
                    return 2;
                }
            }
        } else if (!strcmp(a, "--exit")) {
            if (parse_int(argv[++i], &exit_code) != 0 || exit_code < 0 || exit_code > 255) {
                fprintf(stderr, "probe: bad --exit value %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--read")) {
            opt_read_path = argv[++i];
        } else if (!strcmp(a, "--write")) {
            opt_write_path = argv[++i];
            opt_write_content = argv[++i];
        } else {
            no_print = 1;
        }
    }

    /* Install the SIGTERM handler before anything is printed, so a parent
     * that waits for our output can signal us without racing the setup. */
    if (do_sleep) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigterm;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
    }

    g_status = read_file("/proc/self/status", 0, NULL);
    if (!g_status)
        add_error("read /proc/self/status: %s", errname(errno));

    j_open('{');
    emit_ids();
    emit_cwd_uts();
    emit_argv_env(argc, argv);
    emit_caps_etc();
    emit_namespaces();
    emit_mounts();
    emit_cgroup();
    emit_rlimits();
    emit_oom();
    emit_fds();
    emit_tty();
    emit_misc();
    if (opt_write_path)
        do_write();
    if (opt_read_path)
        do_read();
    j_key("errors");
    j_open('[');
    for (size_t off = 0, i = 0; i < g_nerrors; i++) {
        const char *e = g_errors.p + off;
        j_str(e);
        off += strlen(e) + 1;
    }
    j_close(']');
    j_close('}');
    buf_add(&J, "\n", 1);

    if (!no_print) {
        if (out) {
            size_t l = strlen(out);
            char *tmp = malloc(l + 5);
            if (!tmp)
                die_oom();
            memcpy(tmp, out, l);
            memcpy(tmp + l, ".tmp", 5);
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
            if (fd < 0) {
                fprintf(stderr, "probe: open %s: %s\n", tmp, strerror(errno));
                return 1;
            }
            if (write_all(fd, J.p, J.len) != 0 || close(fd) != 0) {
                fprintf(stderr, "probe: write %s: %s\n", tmp, strerror(errno));
                unlink(tmp);
                return 1;
            }
            if (rename(tmp, out) != 0) {
                fprintf(stderr, "probe: rename %s -> %s: %s\n", tmp, out, strerror(errno));
                unlink(tmp);
                return 1;
            }
            free(tmp);
        } else if (write_all(1, J.p, J.len) != 0) {
            fprintf(stderr, "probe: write stdout: %s\n", strerror(errno));
            return 1;
        }
    }

    if (do_sleep) {
        if (sleep_secs < 0 || sleep_secs > 1e9) {
            for (;;)
                pause();
        }
        struct timespec ts;
        ts.tv_sec = (time_t)sleep_secs;
        ts.tv_nsec = (long)((sleep_secs - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec < 0)
            ts.tv_nsec = 0;
        if (ts.tv_nsec > 999999999)
            ts.tv_nsec = 999999999;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return (int)exit_code;
}
