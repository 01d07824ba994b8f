package dev.gatewar.pool;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** How a route picks the upstream for the next try, among those it may use. */
public enum Balancer {
    /**
     * Weighted round-robin, the smooth way nginx does it: each pick adds every candidate's weight to
     * its running score, takes the highest, and takes the total back from it, so a weight-3 upstream
     * is picked 3 times in 5 without 3 picks in a row.
     */
    ROUND_ROBIN("round-robin") {
        @Override
        Member pick(List<Member> candidates) {
            Member best = null;
            int total = 0;
            for (Member m : candidates) {
                m.score += m.weight;
                total += m.weight;
                if (best == null || m.score > best.score) {
                    best = m;
                }
            }
            best.score -= total;
            return best;
        }
    },
    /** The fewest requests in flight per unit of weight; ties broken by the round-robin score. */
    LEAST_REQUESTS("least-requests") {
        @Override
        Member pick(List<Member> candidates) {
            Member best = null;
            for (Member m : candidates) {
                if (best == null || (long) m.inFlight() * best.weight < (long) best.inFlight() * m.weight) {
                    best = m;
                }
            }
            Member least = best;
            List<Member> tied = candidates.stream()
                    .filter(m -> (long) m.inFlight() * least.weight == (long) least.inFlight() * m.weight).toList();
            return tied.size() == 1 ? least : ROUND_ROBIN.pick(tied);
        }
    };

    private static final Map<String, Balancer> BY_NAME = new TreeMap<>();

    static {
        for (Balancer b : values()) {
            BY_NAME.put(b.paramValue, b);
        }
    }

    private final String paramValue;

    Balancer(String paramValue) {
        this.paramValue = paramValue;
    }

    public String paramValue() {
        return paramValue;
    }

    public static Set<String> paramValues() {
        return BY_NAME.keySet();
    }

    public static Balancer fromParamValue(String value) {
        return BY_NAME.get(value);
    }

    /** One of {@code candidates}, never empty; called under the pool's lock. */
    abstract Member pick(List<Member> candidates);
}
