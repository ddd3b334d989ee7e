package dev.drover.coordinator.api;

import io.vertx.ext.web.RoutingContext;

/**
 * Response headers that keep the dashboard and the API from being framed, sniffed or leaking addresses. The
 * dashboard loads only its own script, stylesheet and API (no inline script or style, no CDN), so its policy
 * allows nothing else.
 */
final class SecurityHeaders {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private SecurityHeaders() {
    }

    /** For every response. */
    static void common(RoutingContext ctx) {
        ctx.response().putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY");
        ctx.next();
    }

    /** For the dashboard's pages and files. */
    static void dashboard(RoutingContext ctx) {
        ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("Cross-Origin-Opener-Policy", "same-origin")
                .putHeader("Cross-Origin-Resource-Policy", "same-origin");
        ctx.next();
    }
}
