// Wireshark's question before a new capture replaces packets that were never saved, and its two
// answers besides Cancel. Apart from the manager that asks it, so tests import it without VS Code.
export const REPLACE_QUESTION = 'Do you want to save the captured packets before starting a new capture?';
export const SAVE_ANSWER = 'Save';
export const DISCARD_ANSWER = 'Continue without Saving';
