# dca_add_exercise(NN name): to be written
