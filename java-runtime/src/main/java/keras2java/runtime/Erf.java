package keras2java.runtime;

/** The error function in double precision (absolute error below 1e-15). */
final class Erf {
    private Erf() {
    }

    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r;
        if (ax <= 2.5) {
            // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
            double x2 = ax * ax;
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = sum * 1.1283791670955126;
        } else if (ax >= 6.0) {
            r = 1.0;
        } else {
            r = 1.0 - erfcContinuedFraction(ax);
        }
        return x < 0 ? -r : r;
    }

    /** erfc(x) for x > 2 by the Lentz continued fraction. */
    private static double erfcContinuedFraction(double x) {
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0.0;
        for (int n = 1; n < 500; n++) {
            double an = n * 0.5;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) {
                break;
            }
        }
        return Math.exp(-x * x) / (f * 1.7724538509055159);
    }
}
