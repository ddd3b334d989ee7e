package dev.drover.coordinator.api;

import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Who may call the API: viewers read everything, operators may also act. A request without a valid token
 * gets 401, a viewer calling an operator action 403. Tokens are compared in constant time and never logged.
 * With no token configured at all the API is open (allowed only on loopback, see the config).
 */
public final class Auth {
    public enum Role { VIEWER, OPERATOR }

    private final List<byte[]> viewers;
    private final List<byte[]> operators;

    public Auth(List<String> viewerTokens, List<String> operatorTokens) {
        this.viewers = viewerTokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
        this.operators = operatorTokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean open() {
        return viewers.isEmpty() && operators.isEmpty();
    }

    /** Handler guard: true if the request may go on; otherwise the 401/403 has been sent. */
    public boolean require(RoutingContext ctx, Role needed, boolean tokenInQueryAllowed) {
        if (open()) {
            return true;
        }
        String token = bearer(ctx);
        if (token == null && tokenInQueryAllowed) {
            token = ctx.request().getParam("access_token"); // EventSource cannot send headers
        }
        Role role = token == null ? null : roleOf(token);
        if (role == null) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"drover\"");
            ApiVerticle.sendError(ctx, 401, token == null ? "missing bearer token" : "token not accepted");
            return false;
        }
        if (needed == Role.OPERATOR && role != Role.OPERATOR) {
            ApiVerticle.sendError(ctx, 403, "this action needs an operator token");
            return false;
        }
        return true;
    }

    Role roleOf(String token) {
        byte[] t = token.getBytes(StandardCharsets.UTF_8);
        boolean operator = false;
        boolean viewer = false;
        for (byte[] o : operators) {
            operator |= MessageDigest.isEqual(o, t);
        }
        for (byte[] v : viewers) {
            viewer |= MessageDigest.isEqual(v, t);
        }
        return operator ? Role.OPERATOR : viewer ? Role.VIEWER : null;
    }

    private static String bearer(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || h.length() > 1024 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return h.substring(7).trim();
    }
}
