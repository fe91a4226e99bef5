"""The test processes tune the C allocator as gradlab's command line and Trainer.fit do
(``import gradlab`` itself changes nothing process-wide): the suite's many training loops then
reuse freed array memory instead of faulting fresh pages in."""

from gradlab import backend

backend.use_tuned_allocator()
