package dev.drover.coordinator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.identity.Attestor.Membership;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whether ARM's latest list proves a VM in, proves it out, or cannot tell yet (never admitted then). */
class AttestorMembershipTest {
    private static final Instant DOC = Instant.parse("2026-11-30T05:00:00Z");
    private static final String VM = "6c1b2a3e-0000-4000-8000-000000000001";

    @Test
    void aVmInTheListIsAMemberWhenTheListWasTakenEvenBeforeTheDocument() {
        var listing = new ScaleSetMembers.Listing(Set.of(VM.toUpperCase()), DOC.minusSeconds(60), "");

        assertThat(Attestor.membership(listing, VM, DOC)).isEqualTo(Membership.MEMBER);
    }

    @Test
    void aVmMissingFromAListTakenAfterItsDocumentIsNotAMember() {
        var listing = new ScaleSetMembers.Listing(Set.of("other"), DOC.plusSeconds(2), "");

        assertThat(Attestor.membership(listing, VM, DOC)).isEqualTo(Membership.NOT_MEMBER);
    }

    @Test
    void aVmMissingFromAnOlderListCannotBeToldYet() {
        var listing = new ScaleSetMembers.Listing(Set.of("other"), DOC.minusSeconds(1), "");

        assertThat(Attestor.membership(listing, VM, DOC)).isEqualTo(Membership.UNCONFIRMED);
        // createdOn is in whole seconds: a list within the same second proves nothing either
        var sameSecond = new ScaleSetMembers.Listing(Set.of("other"), DOC.plusMillis(500), "");
        assertThat(Attestor.membership(sameSecond, VM, DOC)).isEqualTo(Membership.UNCONFIRMED);
    }

    @Test
    void withoutAnySuccessfulListNothingIsConfirmedWhateverTheError() {
        var never = new ScaleSetMembers.Listing(Set.of(), null, "ARM 503 ServiceUnavailable");

        assertThat(Attestor.membership(never, VM, DOC)).isEqualTo(Membership.UNCONFIRMED);
    }
}
