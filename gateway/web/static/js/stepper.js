// The DSFR stepper (fr-stepper, drawn by the `stepper` macro of _shell.html): the current step's title,
// « Étape n sur N », the bar, and the next step's title (none on the last step).
export function showStep(stepper, n) {
  const titles = JSON.parse(stepper.dataset.titles);
  stepper.querySelector(".stepper-current").textContent = titles[n - 1];
  stepper.querySelector(".fr-stepper__state").textContent = `Étape ${n} sur ${titles.length}`;
  stepper.querySelector(".fr-stepper__steps").dataset.frCurrentStep = String(n);
  const details = stepper.querySelector(".fr-stepper__details");
  details.hidden = n >= titles.length;
  stepper.querySelector(".stepper-next").textContent = titles[n] || "";
}
