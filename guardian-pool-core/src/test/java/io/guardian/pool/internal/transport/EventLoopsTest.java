package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared, reference-counted event loops: start on first use, stop with the last release. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventLoopsTest {

    @BeforeEach
    void nobodyElseHoldsThem() {
        ThreadWatch.awaitNoGuardianThreads();
    }

    @Test
    void threadsStopWhenTheLastHandleIsReleased() throws Exception {
        EventLoops first = EventLoops.acquire();
        EventLoops second = EventLoops.acquire();
        assertThat(first.group()).isSameAs(second.group());
        first.group().submit(() -> { }).get(5, TimeUnit.SECONDS);
        first.offload().execute(() -> { });
        assertThat(ThreadWatch.guardianThreads()).anyMatch(name -> name.startsWith(EventLoops.IO_THREAD_PREFIX));

        first.release();
        first.release(); // a second release of the same handle must not steal the other's reference
        assertThat(EventLoops.inUse()).isTrue();
        assertThat(second.group().isShuttingDown()).isFalse();

        second.release();
        assertThat(EventLoops.inUse()).isFalse();
        ThreadWatch.awaitNoGuardianThreads();
    }

    @Test
    void acquiringAfterTheLastReleaseStartsAFreshGroup() {
        EventLoops old = EventLoops.acquire();
        old.release();
        EventLoops fresh = EventLoops.acquire();
        try {
            assertThat(fresh.group()).isNotSameAs(old.group());
            assertThat(fresh.group().isShuttingDown()).isFalse();
        } finally {
            fresh.release();
        }
    }

    @Test
    void usesNativeEpollOnLinuxAndNioWhenForced() {
        EventLoops loops = EventLoops.acquire();
        try {
            boolean linuxX64 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                    && System.getProperty("os.arch").matches("amd64|x86_64");
            if (linuxX64) {
                assertThat(loops.transportName()).isEqualTo("epoll");
            }
        } finally {
            loops.release();
        }
        System.setProperty("guardian.transport.nio", "true");
        try {
            EventLoops nio = EventLoops.acquire();
            assertThat(nio.transportName()).isEqualTo("nio");
            nio.release();
        } finally {
            System.clearProperty("guardian.transport.nio");
        }
    }

    @Test
    void eventLoopThreadsAreRecognised() throws Exception {
        EventLoops loops = EventLoops.acquire();
        try {
            assertThat(loops.isEventLoopThread()).isFalse();
            assertThat(loops.group().submit(loops::isEventLoopThread).get(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            loops.release();
        }
    }
}
