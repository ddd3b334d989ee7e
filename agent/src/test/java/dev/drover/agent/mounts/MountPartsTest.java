package dev.drover.agent.mounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.agent.config.MountConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Server choice, mount command lines, the mount table and RPC reply parsing. */
class MountPartsTest {
    private static MountConfig nfs(String version, String options, List<String> servers) {
        return new MountConfig("cache", servers, "/msazure", "/mnt/cache", version, options, null, null, null, null);
    }

    @Test
    void eachAddressGetsAtMostAQuarterMoreThanItsFairShare() {
        for (int count : new int[] {2, 3, 4, 5, 6}) {
            List<String> servers = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                servers.add("10.0.1." + (10 + i));
            }
            Map<String, Integer> load = new HashMap<>();
            for (int n = 0; n < 1000; n++) {
                load.merge(ServerChoice.pick("render" + String.format("%06d", n), servers), 1, Integer::sum);
            }
            double fair = 1000.0 / count;
            assertThat(load).as("%d servers: %s", count, load).hasSize(count);
            assertThat(load.values()).allSatisfy(l -> assertThat(l).isLessThanOrEqualTo((int) (fair * 1.25)));
        }
    }

    @Test
    void choiceIsStableAndRemovingAServerMovesOnlyItsNodes() {
        List<String> three = List.of("10.0.1.10", "10.0.1.11", "10.0.1.12");
        List<String> two = List.of("10.0.1.10", "10.0.1.11");
        int moved = 0;
        for (int n = 0; n < 1000; n++) {
            String node = "render" + n;
            String before = ServerChoice.pick(node, three);
            assertThat(ServerChoice.pick(node, three)).isEqualTo(before);
            String after = ServerChoice.pick(node, two);
            if (!before.equals("10.0.1.12")) {
                assertThat(after).isEqualTo(before);
            } else {
                moved++;
            }
        }
        assertThat(moved).isBetween(250, 420);
    }

    @Test
    void nfsMountFollowsTheVfxtClientGuidanceByDefault() {
        assertThat(MountCommand.mount(nfs(null, null, List.of("10.0.1.10")), "10.0.1.10")).containsExactly("mount",
                "-t", "nfs", "-o", "vers=3,hard,proto=tcp,mountproto=tcp,retry=30", "10.0.1.10:/msazure",
                "/mnt/cache");
        assertThat(MountCommand.mount(nfs("4.1", "hard,proto=tcp", List.of("fd00::5")), "fd00::5"))
                .containsSubsequence("vers=4.1,hard,proto=tcp", "[fd00::5]:/msazure");
        assertThat(MountCommand.unmount(nfs(null, null, List.of("a")))).containsExactly("umount", "-l", "/mnt/cache");
    }

    @Test
    void bindBackendBindsTheLocalExport() {
        MountConfig bind = new MountConfig(null, null, "/srv/export", "/mnt/cache", null, null, "bind", null, null, null);
        assertThat(MountCommand.mount(bind, "")).containsExactly("mount", "--bind", "/srv/export", "/mnt/cache");
    }

    @Test
    void badMountConfigNamesTheField() {
        assertThatThrownBy(() -> nfs("5", null, List.of("a"))).hasMessageContaining("mounts[/mnt/cache].nfsVersion");
        assertThatThrownBy(() -> nfs("3", "vers=4,hard", List.of("a"))).hasMessageContaining(".options");
        assertThatThrownBy(() -> nfs("3", null, List.of())).hasMessageContaining(".servers");
        assertThatThrownBy(() -> new MountConfig(null, List.of("a"), "/x", "relative", null, null, null, null, null,
                null)).hasMessageContaining("mountPoint must be an absolute path");
    }

    @Test
    void mountTableFindsMountPointsIncludingEscapedOnes() {
        String mountinfo = """
                22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
                42 27 0:51 / /mnt/cache rw,relatime - nfs 10.0.1.10:/msazure rw,vers=3
                43 27 254:0 /tmp/src /mnt/with\\040space rw,relatime - ext4 /dev/vda rw
                """;
        assertThat(MountTable.contains(mountinfo, "/mnt/cache")).isTrue();
        assertThat(MountTable.contains(mountinfo, "/mnt/with space")).isTrue();
        assertThat(MountTable.contains(mountinfo, "/mnt")).isFalse();
    }

    @Test
    void rpcRepliesAreParsed() {
        assertThat(RpcNullProbe.parseReply(reply(7, 0, 0), 7, 3, 1).ok()).isTrue();
        assertThat(RpcNullProbe.parseReply(reply(8, 0, 0), 7, 3, 1).detail()).contains("xid mismatch");
        assertThat(RpcNullProbe.parseReply(reply(7, 0, 2).writeInt(4).writeInt(4), 7, 3, 1).detail())
                .isEqualTo("NFS v3 not served (server offers 4..4)");
        assertThat(RpcNullProbe.parseReply(reply(7, 0, 1), 7, 3, 1).detail()).isEqualTo("NFS program not served");
        assertThat(RpcNullProbe.parseReply(Unpooled.buffer().writeInt(7).writeInt(1).writeInt(1).writeInt(1), 7, 3, 1)
                .detail()).isEqualTo("authentication refused");
        assertThat(RpcNullProbe.parseReply(Unpooled.buffer().writeInt(7), 7, 3, 1).detail())
                .isEqualTo("truncated RPC reply");
    }

    @Test
    void nullCallIsFortyBytesBehindALastFragmentMark() {
        ByteBuf call = RpcNullProbe.call(Unpooled.buffer(), 42, 3);
        assertThat(call.readableBytes()).isEqualTo(44);
        assertThat(call.getInt(0)).isEqualTo(0x80000000 | 40);
        assertThat(call.getInt(16)).isEqualTo(100003);
        assertThat(call.getInt(20)).isEqualTo(3);
        call.release();
    }

    private static ByteBuf reply(int xid, int verifierLength, int acceptStat) {
        ByteBuf b = Unpooled.buffer().writeInt(xid).writeInt(1).writeInt(0).writeInt(0).writeInt(verifierLength);
        b.writeZero((verifierLength + 3) & ~3);
        return b.writeInt(acceptStat);
    }
}
