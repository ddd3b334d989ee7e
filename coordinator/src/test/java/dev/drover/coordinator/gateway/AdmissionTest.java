package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    @Test
    void refusesPastTheLimitPerAddressAndFreesSlotsOnRelease() throws Exception {
        Admission admission = new Admission(2);
        InetAddress a = InetAddress.getByName("10.0.0.1");
        InetAddress b = InetAddress.getByName("10.0.0.2");

        assertThat(admission.tryAdmit(a)).isTrue();
        assertThat(admission.tryAdmit(a)).isTrue();
        assertThat(admission.tryAdmit(a)).as("third from a").isFalse();
        assertThat(admission.tryAdmit(b)).as("another address is not affected").isTrue();

        admission.release(a);
        assertThat(admission.pending(a)).isEqualTo(1);
        assertThat(admission.tryAdmit(a)).isTrue();
        admission.release(a);
        admission.release(a);
        admission.release(b);
        assertThat(admission.addresses()).as("no entry kept for addresses with nothing pending").isZero();
    }
}
