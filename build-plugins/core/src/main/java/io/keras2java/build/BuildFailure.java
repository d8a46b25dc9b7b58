package io.keras2java.build;

/** A problem the build reports as it is: one line per problem, naming the model file. */
public final class BuildFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public BuildFailure(String message) {
        super(message);
    }
}
