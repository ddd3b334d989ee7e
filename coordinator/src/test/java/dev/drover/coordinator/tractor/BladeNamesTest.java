package dev.drover.coordinator.tractor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.tractor.BladeNames.NodeNames;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A node's blade is found however the blade registered: short, FQDN, any case, or by address. */
class BladeNamesTest {
    private static final NodeNames NODE = new NodeNames("render000004", "render000004", "10.1.0.7");

    private static BladeInfo blade(String hnm, String addr) {
        return new BladeInfo(hnm, addr, 0, "");
    }

    @Test
    void matchesShortNamesFqdnsInAnyDomainAndAnyCase() {
        for (String hnm : List.of("render000004", "render000004.internal.cloudapp.net", "RENDER000004",
                "Render000004.Farm.Studio.Example.", "render000004.reddog.microsoft.com")) {
            assertThat(BladeNames.find(List.of(blade("render000003", "10.1.0.6"), blade(hnm, "10.9.9.9")), NODE))
                    .as(hnm).extracting(BladeInfo::hnm).containsExactly(hnm);
        }
    }

    @Test
    void nodeKnownByItsFqdnFindsAShortBlade() {
        NodeNames fqdn = new NodeNames("render000004.internal.cloudapp.net", "", "");
        assertThat(BladeNames.find(List.of(blade("RENDER000004", "")), fqdn)).hasSize(1);
    }

    @Test
    void similarNamesDoNotMatch() {
        assertThat(BladeNames.find(List.of(blade("render0000040", "10.9.9.1"), blade("xrender000004", "10.9.9.2"),
                blade("render00000", "10.9.9.3")), NODE)).isEmpty();
    }

    @Test
    void aBladeNamedByAddressIsFoundByTheNodesAddress() {
        assertThat(BladeNames.find(List.of(blade("10.1.0.7", "10.1.0.7"), blade("10.1.0.8", "10.1.0.8")), NODE))
                .extracting(BladeInfo::hnm).containsExactly("10.1.0.7");
        assertThat(BladeNames.find(List.of(blade("someothername", "10.1.0.7")), NODE)).hasSize(1);
    }

    @Test
    void addressesNeverMatchByFirstLabelAndSharedAddressesProveNothing() {
        assertThat(BladeNames.nameMatches("10.1.0.7", "10.1.0.9")).isFalse();
        assertThat(BladeNames.find(List.of(blade("a", "10.1.0.7"), blade("b", "10.1.0.7")), NODE)).isEmpty();
    }

    @Test
    void theOnlyBladeBehindAnAddressIsNotThisNodesWhenItsNameIsAnotherNodes() {
        // behind a NAT, while the other nodes' blades are still starting: the one registered blade is render000003's
        List<BladeInfo> blades = List.of(blade("render000003.internal.cloudapp.net", "10.1.0.7"));
        assertThat(BladeNames.find(blades, NODE, b -> BladeNames.nameMatches(b.hnm(), "render000003"))).isEmpty();
        assertThat(BladeNames.find(blades, NODE, b -> false)).hasSize(1);
    }

    @Test
    void aLoopbackAddressProvesNothing() {
        NodeNames local = new NodeNames("render000004", "", List.of(), List.of("127.0.0.1", "::1"));
        assertThat(BladeNames.find(List.of(blade("headnode", "127.0.0.1")), local)).isEmpty();
        assertThat(BladeNames.find(List.of(blade("headnode", "::1")), local)).isEmpty();
    }

    @Test
    void nameMatchWinsOverAddress() {
        assertThat(BladeNames.find(List.of(blade("other", "10.1.0.7"), blade("render000004.x", "10.2.2.2")), NODE))
                .extracting(BladeInfo::hnm).containsExactly("render000004.x");
    }

    @Test
    void aBladeUnderAnAliasOnlyTheAgentStatesIsFoundByThatName() {
        // cloud-init gave the machine a studio name; the blade registered under it, not the computer name
        NodeNames stated = new NodeNames("render000004", "render000004", List.of("rndr-a7", "rndr-a7.studio.lan"),
                List.of("10.20.0.4", "127.0.0.1"));
        assertThat(BladeNames.find(List.of(blade("RNDR-A7.studio.lan", "127.0.0.1"), blade("rndr-a8", "127.0.0.1")),
                stated)).extracting(BladeInfo::hnm).containsExactly("RNDR-A7.studio.lan");
        assertThat(BladeNames.find(List.of(blade("rndr-a7", "")), NODE)).as("unknown without the agent's names")
                .isEmpty();
    }

    @Test
    void aBladeNamedByAnAddressTheAgentStatesIsFoundEvenBehindNat() {
        // every agent connects from the same NAT address; the blade registered by the machine's own address
        NodeNames stated = new NodeNames("render000004", "render000004", List.of(), List.of("10.20.0.4",
                "172.16.0.1"));
        assertThat(BladeNames.find(List.of(blade("10.20.0.4", "172.16.0.1"), blade("10.20.0.5", "172.16.0.1")),
                stated)).extracting(BladeInfo::hnm).containsExactly("10.20.0.4");
    }

    @Test
    void theNodesOwnIdWinsOverAStatedNameAnotherBladeCarries() {
        // a cloned image with a baked-in host name: every node states "render-golden"
        NodeNames cloned = new NodeNames("render000004", "render000004", List.of("render-golden"), List.of());
        assertThat(BladeNames.find(List.of(blade("render-golden", ""), blade("render000004", "")), cloned))
                .extracting(BladeInfo::hnm).containsExactly("render000004");
    }

    @Test
    void localhostNamesNothing() {
        NodeNames local = new NodeNames("render000004", "", List.of("localhost", "localhost.localdomain"), List.of());
        assertThat(BladeNames.find(List.of(blade("localhost", "127.0.0.1")), local)).isEmpty();
    }

    @Test
    void hostOfStripsPortsAndBrackets() {
        assertThat(BladeNames.hostOf("10.0.0.9:40000")).isEqualTo("10.0.0.9");
        assertThat(BladeNames.hostOf("/10.0.0.9:40000")).isEqualTo("10.0.0.9");
        assertThat(BladeNames.hostOf("[fd00::5]:7700")).isEqualTo("fd00::5");
        assertThat(BladeNames.hostOf("")).isEmpty();
    }
}
