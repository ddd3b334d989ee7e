package dev.drover.coordinator.gateway;

/**
 * Makes text that came from a peer safe to put in a log line: control characters (newlines included) and
 * Unicode line/paragraph separators are escaped, so nobody can forge log lines, and the length is capped.
 */
public final class LogText {
    static final int MAX_CHARS = 200;

    private LogText() {
    }

    public static String clean(Object value) {
        String text = String.valueOf(value);
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
        for (int i = 0; i < text.length(); i++) {
            if (out.length() >= MAX_CHARS) {
                return out.append("...(").append(text.length()).append(" chars)").toString();
            }
            char c = text.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085'
                    || Character.getType(c) == Character.FORMAT) {
                out.append(String.format("\\u%04x", (int) c)); // also bidi overrides that reorder what is shown
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
