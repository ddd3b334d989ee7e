package dev.drover.agent.fakeimds;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover-agent fake-imds}: runs a strict fake IMDS on loopback for tests and the local demo. */
@Command(name = "fake-imds", mixinStandardHelpOptions = true,
        description = "Runs a fake Azure IMDS on 127.0.0.1 (tests and demos only; never on Azure).")
public final class FakeImdsCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "0", description = "Port (default any free port; printed on start).")
    int port;

    @Option(names = "--vm-name", required = true, description = "compute.name, as Scheduled Events name the VM.")
    String vmName;

    @Option(names = "--computer-name", description = "osProfile.computerName (default: the VM name).")
    String computerName;

    @Option(names = "--scale-set", defaultValue = "", description = "compute.vmScaleSetName.")
    String scaleSet;

    @Option(names = "--priority", defaultValue = "Spot", description = "compute.priority (default ${DEFAULT-VALUE}).")
    String priority;

    @Option(names = "--vm-size", defaultValue = "Standard_D4s_v5", description = "compute.vmSize.")
    String vmSize;

    @Option(names = "--started-linger-seconds", defaultValue = "60",
            description = "How long a Started event stays listed (Azure: about 600).")
    int lingerSeconds;

    @Option(names = "--attest-root-out", paramLabel = "FILE",
            description = "Writes the test root that signs this fake's attested documents (PEM), for a coordinator's "
                    + "enrolment.attestation.trustRootFile. It plays Microsoft's role: never trust it in production.")
    java.nio.file.Path attestRootOut;

    @Override
    public Integer call() throws Exception {
        Map<String, String> compute = compute(vmName, computerName != null ? computerName : vmName, scaleSet,
                priority, vmSize);
        try (FakeImds imds = new FakeImds(port, compute, Duration.ofSeconds(lingerSeconds), Clock.systemUTC())) {
            if (attestRootOut != null) {
                java.nio.file.Files.writeString(attestRootOut, imds.signer().rootPem());
            }
            System.out.println("fake IMDS listening on " + imds.baseUrl());
            System.out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    /** The {@code compute} fields of a scale-set VM named {@code vmName}, as IMDS reports them. */
    public static Map<String, String> compute(String vmName, String computerName, String scaleSet, String priority,
            String vmSize) {
        Map<String, String> compute = new LinkedHashMap<>();
        compute.put("name", vmName);
        compute.put("computerName", computerName);
        compute.put("vmId", java.util.UUID.nameUUIDFromBytes(vmName.getBytes()).toString());
        compute.put("vmScaleSetName", scaleSet);
        compute.put("resourceId", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local"
                + "/providers/Microsoft.Compute/virtualMachines/" + vmName);
        compute.put("vmSize", vmSize);
        compute.put("location", "local");
        compute.put("zone", "");
        compute.put("priority", priority);
        compute.put("evictionPolicy", "Spot".equalsIgnoreCase(priority) ? "Delete" : "");
        return compute;
    }
}
