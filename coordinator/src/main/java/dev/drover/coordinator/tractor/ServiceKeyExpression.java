package dev.drover.coordinator.tractor;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A job's (or task's, or command's) Tractor service-key expression, evaluated against the keys a pool's blades
 * provide — the question Tractor's dispatcher asks of each blade (specs/tractor-and-cyclecloud.md §1.5 "Per blade
 * profile": map a task's key to profiles through each profile's {@code Provides}; keys match case-insensitively).
 *
 * <p>Syntax implemented: key names combined with {@code ,} or {@code ||} (either), {@code &&} (both), {@code !}
 * (not) and parentheses; {@code !} binds tightest, then {@code &&}, then {@code ,}/{@code ||}; blanks are ignored.
 * <b>(verify)</b> The spec file does not spell this grammar out: it comes from Pixar's Job Scripting "Service Keys"
 * page as described in issue 13; precedence between {@code &&} and {@code ,}, and blade-attribute terms such as
 * {@code @.nCPUs > 4}, could not be confirmed. An expression outside this grammar is refused (no pool serves it),
 * never guessed at.
 */
public final class ServiceKeyExpression {
    private static final int CACHE_LIMIT = 10_000;
    private static final Map<String, ServiceKeyExpression> CACHE = new ConcurrentHashMap<>();

    private sealed interface Node permits Key, Not, And, Or {
    }

    private record Key(String name) implements Node {
    }

    private record Not(Node inner) implements Node {
    }

    private record And(Node left, Node right) implements Node {
    }

    private record Or(Node left, Node right) implements Node {
    }

    private final String text;
    private final Node root;

    private ServiceKeyExpression(String text, Node root) {
        this.text = text;
        this.root = root;
    }

    /** @throws IllegalArgumentException naming the position and what was expected */
    public static ServiceKeyExpression parse(String text) {
        Parser p = new Parser(text);
        Node root = p.or();
        p.skipBlanks();
        if (p.pos != text.length()) {
            throw p.error("unexpected '" + text.charAt(p.pos) + "'");
        }
        return new ServiceKeyExpression(text, root);
    }

    /**
     * Whether blades providing {@code keys} can run work keyed {@code expression}; false for an expression that
     * does not parse. Parsed expressions are cached (a farm has few distinct ones).
     */
    public static boolean satisfiedBy(String expression, Set<String> keys) {
        ServiceKeyExpression e = CACHE.get(expression);
        if (e == null) {
            try {
                e = parse(expression);
            } catch (IllegalArgumentException bad) {
                return false;
            }
            if (CACHE.size() < CACHE_LIMIT) {
                CACHE.put(expression, e);
            }
        }
        return e.matches(keys);
    }

    /** @param keys what the blade provides; compared case-insensitively */
    public boolean matches(Set<String> keys) {
        Set<String> lower = new java.util.HashSet<>();
        keys.forEach(k -> lower.add(k.toLowerCase(Locale.ROOT)));
        return eval(root, lower);
    }

    private static boolean eval(Node n, Set<String> keys) {
        if (n instanceof Key k) {
            return keys.contains(k.name());
        } else if (n instanceof Not x) {
            return !eval(x.inner(), keys);
        } else if (n instanceof And a) {
            return eval(a.left(), keys) && eval(a.right(), keys);
        }
        Or o = (Or) n;
        return eval(o.left(), keys) || eval(o.right(), keys);
    }

    @Override
    public String toString() {
        return text;
    }

    /** Recursive descent over the grammar in the class comment. */
    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        Node or() {
            Node left = and();
            while (true) {
                skipBlanks();
                if (take(",") || take("||")) {
                    left = new Or(left, and());
                } else {
                    return left;
                }
            }
        }

        Node and() {
            Node left = unary();
            while (true) {
                skipBlanks();
                if (take("&&")) {
                    left = new And(left, unary());
                } else {
                    return left;
                }
            }
        }

        Node unary() {
            skipBlanks();
            if (take("!")) {
                return new Not(unary());
            }
            if (take("(")) {
                Node inner = or();
                skipBlanks();
                if (!take(")")) {
                    throw error("missing ')'");
                }
                return inner;
            }
            int start = pos;
            while (pos < s.length() && isKeyChar(s.charAt(pos))) {
                pos++;
            }
            if (start == pos) {
                throw error(pos < s.length() ? "expected a service key at '" + s.charAt(pos) + "'"
                        : "expected a service key");
            }
            return new Key(s.substring(start, pos).toLowerCase(Locale.ROOT));
        }

        static boolean isKeyChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.' || c == '+' || c == ':' || c == '/';
        }

        boolean take(String token) {
            if (s.startsWith(token, pos)) {
                pos += token.length();
                return true;
            }
            return false;
        }

        void skipBlanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("service key expression \"" + s + "\" at " + pos + ": " + what);
        }
    }
}
