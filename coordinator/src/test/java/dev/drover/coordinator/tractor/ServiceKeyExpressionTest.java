package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Service-key expressions as Tractor's dispatcher evaluates them against a blade's (pool's) keys. */
class ServiceKeyExpressionTest {
    private static final Set<String> POOL = Set.of("blender", "Linux", "PixarRender");

    private static boolean ok(String e) {
        return ServiceKeyExpression.parse(e).matches(POOL);
    }

    @Test
    void plainKeysMatchIgnoringCase() {
        assertThat(ok("BLENDER")).isTrue();
        assertThat(ok("houdini")).isFalse();
    }

    @Test
    void commaAndOrMeanEither() {
        assertThat(ok("houdini,blender")).isTrue();
        assertThat(ok("houdini || nuke")).isFalse();
        assertThat(ok("houdini||PixarRender")).isTrue();
    }

    @Test
    void andNeedsBothAndNotExcludes() {
        assertThat(ok("PixarRender && linux")).isTrue();
        assertThat(ok("PixarRender && windows")).isFalse();
        assertThat(ok("blender && !windows")).isTrue();
        assertThat(ok("!linux")).isFalse();
    }

    @Test
    void andBindsTighterThanOrAndParenthesesGroup() {
        assertThat(ok("houdini && windows || blender")).isTrue();
        assertThat(ok("houdini && (windows || blender)")).isFalse();
        assertThat(ok("!(houdini || windows) && blender")).isTrue();
    }

    @Test
    void malformedExpressionsAreRefusedNamingThePosition() {
        for (String bad : new String[] {"", "a &&", "(a", "a)", "a & b", "a b", "@.nCPUs > 4", "a,,b"}) {
            assertThatThrownBy(() -> ServiceKeyExpression.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service key expression");
        }
        assertThat(ServiceKeyExpression.satisfiedBy("a b", Set.of("a", "b"))).isFalse();
    }

    @Property
    void orOfAnyKeyThePoolHasIsSatisfied(@ForAll("keys") String other, @ForAll("poolKey") String mine) {
        assertThat(ok(other + "," + mine)).isTrue();
        assertThat(ok("(" + other + ") || " + mine.toUpperCase())).isTrue();
    }

    @Property
    void notInvertsAndDoubleNotRestores(@ForAll("keys") String key) {
        assertThat(ok("!" + key)).isEqualTo(!ok(key));
        assertThat(ok("!!" + key)).isEqualTo(ok(key));
    }

    @Property
    void andIsSatisfiedOnlyWhenBothAre(@ForAll("keys") String a, @ForAll("keys") String b) {
        assertThat(ok(a + " && " + b)).isEqualTo(ok(a) && ok(b));
        assertThat(ok(a + " , " + b)).isEqualTo(ok(a) || ok(b));
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.oneOf(Arbitraries.of("blender", "LINUX", "pixarrender", "houdini", "nuke", "windows"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8));
    }

    @Provide
    Arbitrary<String> poolKey() {
        return Arbitraries.of("blender", "linux", "pixarrender");
    }
}
