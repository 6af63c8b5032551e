/*
 * Loaded into xdg-desktop-portal-wlr 0.7 (Debian 12) by the headless test
 * desktop, with LD_PRELOAD. That portal starts a screen cast only after
 * wlroots' screencopy has offered a DMA-BUF format, which a compositor
 * without a GPU (sway's headless backend with the pixman renderer) never
 * does; 0.8 dropped the check. The shim answers each screencopy frame's
 * shared-memory `buffer` event with the matching `linux_dmabuf` event the
 * portal waits for. With no linux-dmabuf global on such a compositor, the
 * portal then offers PipeWire shared-memory buffers, as a real desktop
 * without modifiers would. Test-only: real desktops have a GPU.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

struct wl_proxy;
const char *wl_proxy_get_class(struct wl_proxy *proxy);

typedef void (*listener_fn)(void);
typedef void (*buffer_fn)(void *, void *, uint32_t, uint32_t, uint32_t, uint32_t);
typedef void (*dmabuf_fn)(void *, void *, uint32_t, uint32_t, uint32_t);

/* zwlr_screencopy_frame_v1 version 3 has seven events: buffer is the first,
 * linux_dmabuf the sixth. */
enum { FRAME_EVENTS = 7, EVENT_BUFFER = 0, EVENT_LINUX_DMABUF = 5 };

static listener_fn *portal_listener;
static listener_fn shimmed_listener[FRAME_EVENTS];

/* wl_shm's two special codes; every other wl_shm format is a DRM fourcc. */
static uint32_t drm_fourcc(uint32_t shm_format) {
    if (shm_format == 0) return 0x34325241; /* ARGB8888 */
    if (shm_format == 1) return 0x34325258; /* XRGB8888 */
    return shm_format;
}

static void on_buffer(void *data, void *frame, uint32_t format, uint32_t width,
                      uint32_t height, uint32_t stride) {
    ((buffer_fn)portal_listener[EVENT_BUFFER])(data, frame, format, width, height, stride);
    if (portal_listener[EVENT_LINUX_DMABUF])
        ((dmabuf_fn)portal_listener[EVENT_LINUX_DMABUF])(data, frame, drm_fourcc(format),
                                                         width, height);
}

int wl_proxy_add_listener(struct wl_proxy *proxy, listener_fn *implementation, void *data) {
    static int (*real)(struct wl_proxy *, listener_fn *, void *);
    if (!real) real = (int (*)(struct wl_proxy *, listener_fn *, void *))dlsym(RTLD_NEXT, "wl_proxy_add_listener");
    if (strcmp(wl_proxy_get_class(proxy), "zwlr_screencopy_frame_v1") == 0) {
        portal_listener = implementation;
        memcpy(shimmed_listener, implementation, sizeof shimmed_listener);
        shimmed_listener[EVENT_BUFFER] = (listener_fn)on_buffer;
        implementation = shimmed_listener;
    }
    return real(proxy, implementation, data);
}
